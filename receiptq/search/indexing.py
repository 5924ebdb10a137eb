"""The writer: a completed job's receipt vector stored in PostgreSQL (the `index` queue's
task). Any worker may run it; every API process's FAISS index catches up from the rows."""

from __future__ import annotations

from receiptq.context import Context
from receiptq.search import store
from receiptq.search.vectors import EMBEDDER, receipt_vector

SELF_HEAL_BATCH = 20  # other unindexed receipts of the user indexed along with a job


def index_job(ctx: Context, job_id: str) -> str:
    """Store the vector of a job's saved receipt: 'indexed', 'unchanged' (a redelivery),
    or 'missing' (no saved receipt: cancelled, deleted). Idempotent. Also indexes a few
    of the same user's receipts that have no vector yet, so a lost task heals itself."""
    row = store.receipt_for_index(ctx.pool, job_id)
    if row is None:
        return "missing"
    written = store.upsert_vector(
        ctx.pool, row["job_id"], row["user_id"], EMBEDDER, receipt_vector(row["data"])
    )
    for other in store.unindexed_jobs(ctx.pool, row["user_id"], EMBEDDER, SELF_HEAL_BATCH):
        found = store.receipt_for_index(ctx.pool, other)
        if found is not None:
            store.upsert_vector(ctx.pool, other, found["user_id"], EMBEDDER,
                                receipt_vector(found["data"]))  # fmt: skip
    return "indexed" if written else "unchanged"
