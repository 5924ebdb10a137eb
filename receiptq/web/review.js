// receiptq web page, part two: the user's receipts (list with filters, cursor pages,
// exports) and one receipt opened beside its page images, with the fields' boxes drawn,
// confidence per field, corrections (PATCH), reprocess and delete. Uses app.js' helpers.
"use strict";

(() => {
  const { api, API, labels, TERMINAL } = window.receiptq;
  const $ = (selector, root = document) => root.querySelector(selector);
  // receiptq.receipt.CATEGORIES (tests/unit/test_web_assets.py keeps them the same)
  const CATEGORIES = [
    "dairy", "bakery", "meat_fish", "fruit_vegetables", "drinks", "snacks_sweets", "pantry",
    "frozen", "household", "personal_care",
  ];
  // The receipt's own fields in the form: [path, label, input type]
  const FIELDS = [
    ["merchant.name", "Merchant", "text"],
    ["merchant.address", "Address", "text"],
    ["merchant.tax_id", "Tax id", "text"],
    ["merchant.phone", "Phone", "text"],
    ["date", "Date (YYYY-MM-DD)", "text"],
    ["time", "Time", "text"],
    ["total", "Total", "text"],
    ["subtotal", "Subtotal", "text"],
    ["tax", "Tax", "text"],
    ["currency", "Currency", "text"],
  ];
  const ITEM_FIELDS = ["description", "quantity", "unit_price", "total_price", "category"];

  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  };
  const show = (value) => (value === null || value === undefined || value === "" ? "—" : String(value));

  // ---- the list ----------------------------------------------------------------------
  const rows = $("#history-rows");
  const more = $("#history-more");
  const historyState = $("#history-state");
  const filterForm = $("#filter-form");
  let cursor = null;

  function filters() {
    const query = new URLSearchParams();
    const pairs = [["date_from", "#f-from"], ["date_to", "#f-to"], ["merchant", "#f-merchant"]];
    for (const [name, selector] of pairs) {
      const value = $(selector).value.trim();
      if (value) query.set(name, value);
    }
    return query;
  }

  async function loadHistory(reset = true) {
    if (!window.receiptq.apiKey()) return;
    const query = filters();
    const status = $("#f-status").value;
    if (status) query.set("status", status);
    query.set("limit", "20");
    if (!reset && cursor) query.set("cursor", cursor);
    historyState.textContent = "Loading…";
    historyState.dataset.kind = "";
    try {
      const page = await (await api(`${API}?${query}`)).json();
      if (reset) rows.replaceChildren();
      for (const item of page.items) rows.append(historyRow(item));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      const count = rows.children.length;
      historyState.textContent = count ? `${count} receipt${count === 1 ? "" : "s"} shown.` : "No receipts match.";
    } catch (error) {
      historyState.textContent = error.message;
      historyState.dataset.kind = "error";
    }
  }

  function historyRow(item) {
    const summary = item.summary || {};
    const total = summary.total ? `${summary.total} ${summary.currency || ""}`.trim() : "—";
    const open = el("button", { type: "button", className: "secondary open", textContent: "Open" });
    open.addEventListener("click", () => openReceipt(item.job_id));
    const row = el(
      "tr", {},
      el("td", { className: "h-date", textContent: show(summary.date || item.created_at.slice(0, 10)) }),
      el("td", { className: "h-merchant", textContent: show(summary.merchant) }),
      el("td", { className: "num h-total", textContent: total }),
      el("td", {}, el("span", { className: "badge", textContent: labels[item.status] || item.status })),
      el("td", {}, open),
    );
    row.dataset.jobId = item.job_id;
    row.dataset.state = item.status;
    return row;
  }

  $("#f-month").addEventListener("change", (event) => {
    const value = event.target.value; // YYYY-MM
    if (!value) return;
    const [year, month] = value.split("-").map(Number);
    const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
    $("#f-from").value = `${value}-01`;
    $("#f-to").value = `${value}-${String(last).padStart(2, "0")}`;
  });
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    loadHistory(true);
  });
  more.addEventListener("click", () => loadHistory(false));
  document.addEventListener("receiptq:key", () => { loadHistory(true); loadExports(); });
  document.addEventListener("receiptq:changed", () => loadHistory(true));

  // ---- exports: every GET under /api/v3/receipts/export… the API documents ------------
  const exportsBox = $("#exports");

  async function loadExports() {
    let document_;
    try {
      document_ = await (await fetch("/openapi.json")).json();
    } catch {
      return;
    }
    const paths = Object.keys(document_.paths || {}).filter(
      (path) => path.startsWith(`${API}/export`) && !path.includes("{") && document_.paths[path].get,
    );
    exportsBox.replaceChildren(
      ...paths.flatMap((path) => {
        const name = path.slice(API.length + 1);
        // export.csv -> "Export CSV", export/items.json -> "Export items JSON"
        const words = name.replace(/^export[-_./]?/, "").split(/[-_./]/).filter(Boolean);
        const label = words.map((w, i) => (i === words.length - 1 ? w.toUpperCase() : w)).join(" ");
        // an export with a `rows` choice (export.csv?rows=items) gets a button per choice
        const rows = (document_.paths[path].get.parameters || []).find(
          (p) => p.in === "query" && p.name === "rows" && p.schema && p.schema.enum,
        );
        const choices = rows ? rows.schema.enum : [null];
        return choices.map((choice) => {
          const plain = choice === null || choice === rows.schema.default;
          const text = plain ? `Export ${label}` : `Export ${choice} ${label}`;
          const button = el("button", { type: "button", className: "secondary", textContent: text });
          button.dataset.path = path;
          if (choice !== null) button.dataset.rows = choice;
          button.addEventListener("click", () => download(path, name, button, plain ? null : choice));
          return button;
        });
      }),
    );
  }

  // Fetched with the key (never in a URL), then saved through a blob: link.
  async function download(path, fallbackName, button, rows) {
    button.disabled = true;
    try {
      const query = filters();
      if (rows) query.set("rows", rows);
      const response = await api(`${path}?${query}`);
      const disposition = response.headers.get("Content-Disposition") || "";
      const name = (/filename="?([^";]+)"?/.exec(disposition) || [])[1] || fallbackName;
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      historyState.textContent = `Exported ${name}.`;
      historyState.dataset.kind = "ok";
    } catch (error) {
      historyState.textContent = error.message;
      historyState.dataset.kind = "error";
    } finally {
      button.disabled = false;
    }
  }

  // ---- one receipt ----------------------------------------------------------------------
  const panel = $("#review");
  const pages = $("#review-pages");
  const fieldset = $("#review-fields");
  const itemRows = $("#review-items");
  const reviewState = $("#review-state");
  const deleteButton = $("#review-delete");
  const reprocessButton = $("#review-reprocess");
  let current = null; // the job as the API last sent it
  let imageUrls = [];

  function say(text, kind = "") {
    reviewState.textContent = text;
    reviewState.dataset.kind = kind;
  }

  const get = (object, path) => path.split(".").reduce((value, key) => (value == null ? value : value[key]), object);

  async function openReceipt(jobId) {
    panel.hidden = false;
    panel.dataset.jobId = jobId;
    say("Loading…");
    try {
      const job = await (await api(`${API}/status/${jobId}`)).json();
      render(job);
      panel.scrollIntoView({ block: "start" });
      await Promise.all([loadPages(job), loadRevisions(jobId)]);
      say("");
    } catch (error) {
      say(error.message, "error");
    }
  }

  function render(job) {
    current = job;
    const result = job.result || {};
    panel.dataset.state = job.status;
    $("#review-status").textContent = labels[job.status] || job.status;
    $("#review-heading").textContent = show(get(result, "merchant.name") || "Receipt");
    reprocessButton.textContent = job.status === "failed" ? "Retry" : "Reprocess";
    reprocessButton.hidden = !TERMINAL.has(job.status) || job.status === "deleted";
    deleteButton.hidden = job.status === "deleted";
    resetDelete();
    const confidence = result.confidence || {};
    fieldset.replaceChildren(el("legend", { textContent: "Fields" }));
    for (const [path, label, type] of FIELDS) {
      const id = `field-${path.replace(".", "-")}`;
      const input = el("input", { id, type, name: path, value: get(result, path) ?? "" });
      input.dataset.field = path;
      fieldset.append(
        el("div", { className: "field" },
          el("label", { htmlFor: id, textContent: label }),
          input,
          confidenceBadge(confidence, path)),
      );
    }
    itemRows.replaceChildren(...(result.items || []).map((item, index) => itemRow(item, index, confidence)));
    const issues = ((result.validation || {}).issues || []).map((issue) => issue.message);
    const warnings = $("#review-warnings");
    warnings.textContent = issues.length ? `Check: ${issues.join(" ")}` : "";
    warnings.hidden = !issues.length;
    $("#review-form").hidden = job.status !== "completed";
    if (job.status === "failed") say(job.error || "The receipt could not be read.", "error");
  }

  function confidenceBadge(confidence, path) {
    const score = (confidence.fields || {})[path];
    const source = (confidence.sources || {})[path];
    const badge = el("span", { className: "confidence" });
    badge.textContent = source === "corrected_from_memory" ? "remembered"
      : source === "corrected" ? "corrected"
        : typeof score === "number" ? `${Math.round(score * 100)} %` : "—";
    badge.title = source ? `Set by you (${source.replaceAll("_", " ")})` : "How sure the reading is";
    badge.dataset.level = source ? "user" : typeof score !== "number" ? "none"
      : score >= 0.8 ? "high" : score >= 0.5 ? "mid" : "low";
    return badge;
  }

  function itemRow(item, index, confidence) {
    const row = el("tr");
    row.dataset.index = index;
    for (const name of ITEM_FIELDS) {
      const label = `${name.replace("_", " ")} of item ${index + 1}`;
      let input;
      if (name === "category") {
        input = el("select", {}, el("option", { value: "", textContent: "—" }),
          ...CATEGORIES.map((c) => el("option", { value: c, textContent: c.replaceAll("_", " ") })));
        input.value = item.category || "";
      } else {
        input = el("input", { type: "text", value: item[name] ?? "" });
        if (name !== "description") input.className = "num";
      }
      input.name = `items.${index}.${name}`;
      input.dataset.field = `items[${index}]`;
      input.setAttribute("aria-label", label);
      row.append(el("td", { className: name === "description" ? "" : "num" }, input));
    }
    const source = (confidence.sources || {})[`items[${index}].category`];
    if (source) row.dataset.corrected = "true";
    return row;
  }

  // ---- pages and boxes --------------------------------------------------------------
  async function loadPages(job) {
    for (const url of imageUrls) URL.revokeObjectURL(url);
    imageUrls = [];
    pages.replaceChildren();
    if (job.status === "deleted") return;
    let count = 1;
    for (let n = 0; n < count; n++) {
      let response;
      try {
        response = await api(`${API}/${job.job_id}/pages/${n}`);
      } catch (error) {
        pages.append(el("p", { className: "help", textContent: error.message }));
        return;
      }
      count = Number.parseInt(response.headers.get("X-Page-Count") || "1", 10);
      const url = URL.createObjectURL(await response.blob());
      imageUrls.push(url);
      const image = el("img", { src: url, alt: `Page ${n + 1} of the receipt` });
      const page = el("div", { className: "page" }, image);
      page.dataset.page = n;
      pages.append(page);
      await image.decode().catch(() => undefined);
      drawBoxes(page, n, image.naturalWidth, image.naturalHeight);
    }
  }

  function regions(result) {
    const found = Object.entries(result.regions || {});
    (result.items || []).forEach((item, index) => {
      if (item.region) found.push([`items[${index}]`, item.region]);
    });
    return found;
  }

  function drawBoxes(page, n, width, height) {
    if (!width || !height || !current) return;
    for (const [field, region] of regions(current.result || {})) {
      if ((region.page || 0) !== n || !Array.isArray(region.box)) continue;
      const [left, top, right, bottom] = region.box;
      const box = el("div", { className: "box", title: field });
      box.dataset.field = field;
      Object.assign(box.style, {
        left: `${(100 * left) / width}%`,
        top: `${(100 * top) / height}%`,
        width: `${(100 * (right - left)) / width}%`,
        height: `${(100 * (bottom - top)) / height}%`,
      });
      page.append(box);
    }
  }

  // The box of the field being edited or pointed at is highlighted.
  function highlight(event) {
    const field = event.target.dataset && event.target.dataset.field;
    for (const box of pages.querySelectorAll(".box")) {
      box.classList.toggle("active", Boolean(field) && box.dataset.field === field);
    }
  }
  for (const type of ["focusin", "mouseover"]) $("#review-form").addEventListener(type, highlight);

  // ---- corrections --------------------------------------------------------------------
  const blank = (value) => (value === "" || value === undefined ? null : value);

  function changes() {
    const result = current.result || {};
    const patch = {};
    for (const [path] of FIELDS) {
      const value = blank(fieldset.querySelector(`[name="${path}"]`).value.trim());
      if (value === (get(result, path) ?? null)) continue;
      if (path.startsWith("merchant.")) {
        patch.merchant = patch.merchant || {};
        patch.merchant[path.slice(9)] = value;
      } else {
        patch[path] = value;
      }
    }
    const items = {};
    (result.items || []).forEach((item, index) => {
      for (const name of ITEM_FIELDS) {
        const input = itemRows.querySelector(`[name="items.${index}.${name}"]`);
        const value = blank(input.value.trim());
        if (value !== (item[name] ?? null)) (items[index] = items[index] || {})[name] = value;
      }
    });
    if (Object.keys(items).length) patch.items = items;
    return patch;
  }

  $("#review-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const patch = changes();
    if (!Object.keys(patch).length) {
      say("Nothing was changed.");
      return;
    }
    const save = $("#review-save");
    save.disabled = true;
    say("Saving…");
    try {
      const response = await api(`${API}/${current.job_id}`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(patch),
      });
      render(await response.json());
      redrawBoxes();
      await loadRevisions(current.job_id);
      say("Corrections saved.", "ok");
      loadHistory(true);
    } catch (error) {
      say(`Not saved: ${error.message}`, "error");
    } finally {
      save.disabled = false;
    }
  });

  function redrawBoxes() {
    for (const page of pages.querySelectorAll(".page")) {
      page.querySelectorAll(".box").forEach((box) => box.remove());
      const image = $("img", page);
      drawBoxes(page, Number(page.dataset.page), image.naturalWidth, image.naturalHeight);
    }
  }

  async function loadRevisions(jobId) {
    const list = $("#review-revisions");
    list.replaceChildren();
    try {
      const body = await (await api(`${API}/${jobId}/revisions`)).json();
      for (const item of body.items) {
        const when = new Date(item.created_at).toLocaleString();
        list.append(el("li", {
          textContent: `${item.field}: ${show(JSON.stringify(item.old_value))} → ${show(JSON.stringify(item.new_value))} (${item.user}, ${when})`,
        }));
      }
      $("#review-revisions-box").hidden = !body.items.length;
    } catch {
      $("#review-revisions-box").hidden = true;
    }
  }

  // ---- actions --------------------------------------------------------------------------
  function resetDelete() {
    deleteButton.textContent = "Delete";
    delete deleteButton.dataset.armed;
  }

  deleteButton.addEventListener("click", async () => {
    if (!deleteButton.dataset.armed) { // a second click confirms
      deleteButton.dataset.armed = "true";
      deleteButton.textContent = "Delete image and result?";
      return;
    }
    try {
      const job = await (await api(`${API}/${current.job_id}`, { method: "DELETE" })).json();
      render(job);
      await loadPages(job);
      say("Deleted: the image and the result are gone.", "ok");
      loadHistory(true);
    } catch (error) {
      say(error.message, "error");
    }
  });

  reprocessButton.addEventListener("click", async () => {
    reprocessButton.disabled = true;
    try {
      const job = await (await api(`${API}/${current.job_id}/reprocess`, { method: "POST" })).json();
      window.receiptq.track(job.job_id, `Again: ${$("#review-heading").textContent}`);
      say("Running again as a new job: follow it under Receipts.", "ok");
      loadHistory(true);
    } catch (error) {
      say(error.message, "error");
    } finally {
      reprocessButton.disabled = false;
    }
  });

  $("#review-close").addEventListener("click", () => {
    panel.hidden = true;
    current = null;
  });

  window.receiptq.open = openReceipt;
  if (window.receiptq.apiKey()) {
    loadHistory(true);
    loadExports();
  }
})();
