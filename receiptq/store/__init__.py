"""Storage: PostgreSQL (durable truth), Redis (fast job state and leases), uploads.

All SQL lives in this package (a feature's own tables in its package's `store` module:
receiptq.webhooks, receiptq.search). Callers write `store.jobs.transition(...)`, which
says where a name comes from without an alias."""

from receiptq.store import db, idempotency, jobs, jobstate, keys, leases, listing, receipts

__all__ = ["db", "idempotency", "jobs", "jobstate", "keys", "leases", "listing", "receipts"]
