"""Storage: PostgreSQL (durable truth), Redis (fast job state), uploads, the FAISS index.

All SQL lives in this package."""
