// receiptq web page: upload receipts, follow each job over Server-Sent Events, show the
// result; review.js lists, opens and corrects them. Plain JavaScript, no dependencies. The API key stays in localStorage and is only
// ever sent in the Authorization header (fetch() streaming, not EventSource, so the key
// never appears in a URL or an access log).
"use strict";

(() => {
  const API = "/api/v3/receipts";
  const KEY_STORAGE = "receiptq.apiKey";
  const TERMINAL = new Set(["completed", "failed", "cancelled", "deleted"]);
  const UPLOAD_CONCURRENCY = 2;
  const MAX_429_RETRIES = 3;

  const $ = (selector, root = document) => root.querySelector(selector);
  const keyInput = $("#api-key");
  const keyState = $("#key-state");
  const fileInput = $("#files");
  const dropZone = $("#drop-zone");
  const jobList = $("#jobs");
  const template = $("#job-template");
  const announcer = $("#announcer");
  const clearButton = $("#clear-finished");

  // ---- API key ------------------------------------------------------------------------
  const storage = (() => {
    try {
      const probe = "receiptq.probe";
      window.localStorage.setItem(probe, probe);
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch {
      return null; // private mode etc.: the key lives in the input only
    }
  })();

  function apiKey() {
    return keyInput.value.trim();
  }

  function setKeyState(text, kind = "") {
    keyState.textContent = text;
    keyState.dataset.kind = kind;
  }

  keyInput.value = (storage && storage.getItem(KEY_STORAGE)) || "";
  setKeyState(keyInput.value ? "Key loaded from this browser." : "Paste your key to start.");

  // A key is saved only once an authenticated call accepts it.
  $("#key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = apiKey();
    if (!key) {
      setKeyState("The key is empty.", "error");
      keyInput.focus();
      return;
    }
    setKeyState("Checking the key…");
    let response;
    try {
      response = await fetch(`${API}?limit=1`, { headers: authHeaders(), cache: "no-store" });
    } catch {
      setKeyState("The server could not be reached: the key was not checked or saved.", "error");
      return;
    }
    if (!response.ok) {
      const error = await problemFrom(response);
      setKeyState(`Key not saved: ${error.message}`, "error");
      keyInput.focus();
      return;
    }
    if (storage) storage.setItem(KEY_STORAGE, key);
    setKeyState(storage ? "Key checked and saved in this browser." : "Key checked, kept for this page only.", "ok");
    document.dispatchEvent(new CustomEvent("receiptq:key"));
  });

  $("#forget-key").addEventListener("click", () => {
    if (storage) storage.removeItem(KEY_STORAGE);
    keyInput.value = "";
    setKeyState("Key forgotten.", "");
    keyInput.focus();
  });

  function authHeaders(extra = {}) {
    return { Authorization: `Bearer ${apiKey()}`, ...extra };
  }

  // ---- HTTP helpers -------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, detail, retryAfter = null) {
      super(detail);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  async function problemFrom(response) {
    let detail = `${response.status} ${response.statusText}`.trim();
    try {
      const body = await response.json();
      if (body && body.detail) detail = body.detail;
    } catch {
      /* not JSON: keep the status line */
    }
    if (response.status === 401) setKeyState(detail, "error");
    const retry = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    return new ApiError(response.status, detail, Number.isFinite(retry) ? retry : null);
  }

  // An authenticated request; a problem+json answer becomes an ApiError.
  async function api(path, options = {}) {
    let response;
    try {
      response = await fetch(path, {
        cache: "no-store",
        ...options,
        headers: authHeaders(options.headers || {}),
      });
    } catch {
      throw new ApiError(0, "The server could not be reached. Check your connection.");
    }
    if (!response.ok) throw await problemFrom(response);
    return response;
  }

  const sleep = (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      if (signal) signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); });
    });

  // ---- one job per file -------------------------------------------------------------------
  const labels = {
    waiting: "Waiting",
    uploading: "Uploading",
    queued: "Queued",
    processing: "Processing",
    cancelling: "Cancelling",
    completed: "Done",
    failed: "Failed",
    cancelled: "Cancelled",
    deleted: "Deleted",
    error: "Not accepted",
  };

  class Job {
    constructor(file) {
      this.file = file;
      this.id = null;
      this.state = "waiting";
      this.controller = new AbortController();
      this.node = template.content.firstElementChild.cloneNode(true);
      this.el = {
        name: $(".job-name", this.node),
        badge: $(".badge", this.node),
        cancel: $(".cancel", this.node),
        open: $(".open", this.node),
        retry: $(".retry", this.node),
        progress: $("progress", this.node),
        message: $(".job-message", this.node),
        error: $(".job-error", this.node),
        result: $(".job-result", this.node),
      };
      this.el.name.textContent = file.name || "receipt";
      this.el.progress.setAttribute("aria-label", `Progress of ${this.el.name.textContent}`);
      this.el.cancel.setAttribute("aria-label", `Cancel ${this.el.name.textContent}`);
      this.el.cancel.addEventListener("click", () => this.cancel());
      this.el.open.addEventListener("click", () => window.receiptq.open(this.id));
      this.el.retry.addEventListener("click", () => this.retry());
      this.setState("waiting", "Waiting to upload");
      this.el.progress.removeAttribute("value"); // indeterminate until the job exists
    }

    setState(state, message) {
      this.state = state;
      this.node.dataset.state = state;
      this.el.badge.textContent = labels[state] || state;
      if (message !== undefined) this.el.message.textContent = message || "";
      const running = !TERMINAL.has(state) && state !== "error";
      this.el.cancel.hidden = !running || this.id === null || state === "cancelling";
      this.el.open.hidden = state !== "completed";
      this.el.retry.hidden = state !== "failed" || this.id === null;
      updateToolbar();
    }

    showError(text) {
      this.el.error.textContent = text;
      this.el.error.hidden = false;
    }

    async upload() {
      for (let attempt = 0; ; attempt++) {
        this.setState("uploading", "Uploading…");
        const form = new FormData();
        form.append("file", this.file, this.file.name);
        let response;
        try {
          response = await fetch(`${API}/process`, {
            method: "POST",
            headers: authHeaders(),
            body: form,
            signal: this.controller.signal,
          });
        } catch (error) {
          if (this.controller.signal.aborted) return;
          throw new ApiError(0, "The server could not be reached. Check your connection.");
        }
        if (response.status === 429 && attempt < MAX_429_RETRIES) {
          const error = await problemFrom(response);
          const wait = Math.min(error.retryAfter || 10, 60);
          this.setState("waiting", `Rate limit reached: retrying in ${wait} s`);
          await sleep(wait * 1000, this.controller.signal);
          if (this.controller.signal.aborted) return;
          continue;
        }
        if (!response.ok) throw await problemFrom(response);
        const job = await response.json();
        this.id = job.job_id;
        this.node.dataset.jobId = job.job_id;
        this.apply(job);
        return;
      }
    }

    apply(event) {
      if (typeof event.progress === "number") this.el.progress.value = event.progress;
      const message =
        event.status === "completed" ? "Finished"
          : event.status === "failed" ? "Could not be read"
            : event.message || labels[event.status] || "";
      this.setState(event.status, message);
      if (event.status === "failed" && event.error) this.showError(event.error);
      if (event.status === "completed" && event.result) this.showResult(event.result);
      if (TERMINAL.has(event.status)) {
        announce(`${this.file.name}: ${labels[event.status]}`);
        document.dispatchEvent(new CustomEvent("receiptq:changed"));
      }
    }

    // Reads the job's event stream until a terminal status; reconnects when the stream
    // ends early (server restart, proxy timeout): its first event is always the current
    // status, so nothing is missed.
    async follow() {
      let failures = 0;
      while (!TERMINAL.has(this.state) && !this.controller.signal.aborted) {
        try {
          const response = await fetch(`${API}/events/${this.id}`, {
            headers: authHeaders({ Accept: "text/event-stream" }),
            signal: this.controller.signal,
            cache: "no-store",
          });
          if (!response.ok) {
            const error = await problemFrom(response);
            if (error.status === 503 || error.status === 429 || error.status >= 500) throw error;
            this.setState("error", "");
            this.showError(error.message);
            return;
          }
          for await (const event of readEvents(response.body)) {
            failures = 0;
            this.apply(event);
          }
        } catch (error) {
          if (this.controller.signal.aborted) return;
          failures += 1;
          if (failures > 8) {
            this.showError(`Lost contact with the server: ${error.message}`);
            return;
          }
        }
        if (!TERMINAL.has(this.state)) {
          await sleep(Math.min(1000 * 2 ** failures, 15000), this.controller.signal);
        }
      }
    }

    async cancel() {
      if (!this.id) return;
      this.el.cancel.disabled = true;
      try {
        const response = await fetch(`${API}/cancel/${this.id}`, {
          method: "DELETE",
          headers: authHeaders(),
        });
        if (!response.ok) throw await problemFrom(response);
        this.apply(await response.json());
      } catch (error) {
        // 409: it finished meanwhile; the event stream brings the final state.
        if (error.status !== 409) this.showError(error.message);
      } finally {
        this.el.cancel.disabled = false;
      }
    }

    // A failed job runs again on its stored original (reprocess), followed on this card.
    async retry() {
      this.el.retry.disabled = true;
      try {
        const response = await api(`${API}/${this.id}/reprocess`, { method: "POST" });
        const job = await response.json();
        this.id = job.job_id;
        this.node.dataset.jobId = job.job_id;
        this.el.error.hidden = true;
        this.apply(job);
        this.follow();
      } catch (error) {
        this.showError(error.message);
      } finally {
        this.el.retry.disabled = false;
      }
    }

    showResult(receipt) {
      const text = (selector, value) => {
        $(selector, this.node).textContent = value === null || value === undefined || value === ""
          ? "—" : String(value);
      };
      const merchant = receipt.merchant || {};
      text(".r-merchant", merchant.name);
      text(".r-address", merchant.address);
      text(".r-date", [receipt.date, receipt.time].filter(Boolean).join(" "));
      text(".r-total", receipt.total);
      text(".r-currency", receipt.currency);
      $("caption", this.node).textContent = `Items on ${this.file.name}`;
      const body = $("tbody", this.node);
      body.replaceChildren();
      const items = receipt.items || [];
      for (const item of items) {
        const row = document.createElement("tr");
        for (const [value, numeric] of [
          [item.description, false],
          [item.quantity, true],
          [item.unit_price, true],
          [item.total_price, true],
          [(item.category || "").replaceAll("_", " "), false],
        ]) {
          const cell = document.createElement("td");
          cell.textContent = value || "";
          if (numeric) cell.className = "num";
          row.append(cell);
        }
        body.append(row);
      }
      if (!items.length) {
        const row = document.createElement("tr");
        const cell = document.createElement("td");
        cell.colSpan = 5;
        cell.textContent = "No items found.";
        row.append(cell);
        body.append(row);
      }
      const issues = ((receipt.validation || {}).issues || []).map((issue) => issue.message);
      const warnings = $(".warnings", this.node);
      warnings.textContent = issues.length ? `Check: ${issues.join(" ")}` : "";
      warnings.hidden = !issues.length;
      this.el.result.hidden = false;
    }

    remove() {
      this.controller.abort();
      this.node.remove();
      jobs.delete(this);
      updateToolbar();
    }
  }

  // Server-Sent Events from a fetch() body: yields each `data:` payload, parsed as JSON.
  async function* readEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value.replaceAll("\r\n", "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).replace(/^ /, ""))
            .join("\n");
          if (data) yield JSON.parse(data);
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  // ---- queue of uploads -----------------------------------------------------------------
  const jobs = new Set();
  const pending = [];
  let uploading = 0;

  function announce(text) {
    announcer.textContent = text;
  }

  function updateToolbar() {
    const finished = [...jobs].some((job) => TERMINAL.has(job.state) || job.state === "error");
    clearButton.hidden = !finished;
  }

  function pump() {
    while (uploading < UPLOAD_CONCURRENCY && pending.length) {
      const job = pending.shift();
      if (job.controller.signal.aborted) continue;
      uploading += 1;
      job
        .upload()
        .then(() => {
          uploading -= 1;
          pump();
          if (job.id) return job.follow();
          return undefined;
        }, (error) => {
          uploading -= 1;
          pump();
          job.setState("error", "");
          job.showError(error.message);
        });
    }
  }

  function addFiles(fileList) {
    const files = [...fileList];
    if (!files.length) return;
    if (!apiKey()) {
      setKeyState("Paste your API key first.", "error");
      keyInput.focus();
      return;
    }
    const batch = document.createDocumentFragment(); // newest batch first, in its own order
    for (const file of files) {
      const job = new Job(file);
      jobs.add(job);
      pending.push(job);
      batch.append(job.node);
    }
    jobList.prepend(batch);
    announce(`${files.length} file${files.length === 1 ? "" : "s"} added.`);
    pump();
  }

  fileInput.addEventListener("change", () => {
    addFiles(fileInput.files);
    fileInput.value = ""; // the same file can be picked again
  });

  for (const type of ["dragenter", "dragover"]) {
    dropZone.addEventListener(type, (event) => {
      event.preventDefault();
      dropZone.classList.add("over");
    });
  }
  for (const type of ["dragleave", "dragend"]) {
    dropZone.addEventListener(type, (event) => {
      if (!dropZone.contains(event.relatedTarget)) dropZone.classList.remove("over");
    });
  }
  dropZone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("over");
    if (event.dataTransfer) addFiles(event.dataTransfer.files);
  });
  // A file dropped next to the zone must not replace the page with the image.
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());

  clearButton.addEventListener("click", () => {
    for (const job of [...jobs]) {
      if (TERMINAL.has(job.state) || job.state === "error") job.remove();
    }
    fileInput.focus();
  });

  // A card for a job that already exists (reprocess from the review panel), followed live.
  function track(jobId, name) {
    const job = new Job({ name });
    job.id = jobId;
    job.node.dataset.jobId = jobId;
    jobs.add(job);
    jobList.prepend(job.node);
    job.setState("queued", "Waiting for a worker");
    job.follow();
    return job;
  }

  // Shared with review.js (and handy for scripting and tests); review.js adds `open`.
  window.receiptq = { addFiles, api, track, API, ApiError, apiKey, sleep, labels, TERMINAL };
})();
