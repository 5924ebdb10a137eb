"""Readiness checks of the parts a job needs: broker, database, workers, Tesseract."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from typing import Any

from celery import Celery

from receiptq.context import Context


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
    version = tesseract_version()
    checks["tesseract"] = {"ok": version is not None, "version": version}
    return all(c["ok"] for c in checks.values()), checks
