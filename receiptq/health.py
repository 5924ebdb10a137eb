"""Readiness checks of the parts a job needs: broker, database, workers, Tesseract."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from typing import Any

from celery import Celery

from receiptq.context import Context
from receiptq.queue.names import HEALTH_TASK, QUEUE_OF


@lru_cache(maxsize=1)
def tesseract_version() -> str | None:
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = (out.stdout or out.stderr).splitlines()
    return first[0].removeprefix("tesseract ").strip() if first else None


def check(ctx: Context, celery: Celery, ping_timeout: float = 1.0) -> tuple[bool, dict[str, Any]]:
    checks: dict[str, Any] = {}
    try:
        ctx.redis.ping()
        checks["broker"] = {"ok": True}
    except Exception as exc:  # any failure means "down", whatever its type
        checks["broker"] = {"ok": False, "error": str(exc)}
    try:
        with ctx.pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": str(exc)}
    workers: list[str] = []
    if checks["broker"]["ok"]:
        try:
            replies = celery.control.ping(timeout=ping_timeout) or []
            workers = sorted(name for reply in replies for name in reply)
        except Exception:
            workers = []
    checks["workers"] = {"ok": bool(workers), "count": len(workers), "names": workers}
    checks["tesseract"] = _worker_tesseract(celery) if workers else {
        "ok": False, "version": None, "error": "no worker answered",
    }  # fmt: skip
    return all(c["ok"] for c in checks.values()), checks


def _worker_tesseract(celery: Celery, timeout: float = 5.0) -> dict[str, Any]:
    """Tesseract as a worker has it (the API host needs none): a round trip through the
    maintenance queue, which also proves a worker consumes from the broker."""
    try:
        result = celery.send_task(HEALTH_TASK, queue=QUEUE_OF[HEALTH_TASK], ignore_result=False)
        version = result.get(timeout=timeout).get("tesseract")
    except Exception as exc:  # timeout, broker error: the probe failed either way
        return {"ok": False, "version": None, "error": f"health probe failed: {exc}"}
    ok = bool(version) and version != "missing"
    return {"ok": ok, "version": version if ok else None}
