"""`receiptq list`'s table: one line per job, columns padded to fit, for people (scripts
take `--json`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COLUMNS = ("job_id", "created", "status", "merchant", "date", "total")
MERCHANT_WIDTH = 32


def row(item: dict[str, Any]) -> tuple[str, ...]:
    summary = item.get("summary") or {}
    created = (item.get("created_at") or "")[:16].replace("T", " ")
    merchant = summary.get("merchant") or ""
    if len(merchant) > MERCHANT_WIDTH:
        merchant = merchant[: MERCHANT_WIDTH - 1] + "…"
    total = " ".join(v for v in (summary.get("total"), summary.get("currency")) if v)
    status = item["status"]
    if status == "failed" and item.get("error"):
        merchant = item["error"][:MERCHANT_WIDTH]  # why, where a merchant would be
    return (item["job_id"], created, status, merchant, summary.get("date") or "", total)


def render(items: Iterable[dict[str, Any]], header: bool = True) -> list[str]:
    rows = [row(item) for item in items]
    if header:
        rows.insert(0, COLUMNS)
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]  # fmt: skip
