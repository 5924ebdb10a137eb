-- Similar receipts: one vector per saved receipt, the durable truth every API process
-- builds its in-memory FAISS index from (docs/search.md).
--   vector_id: the FAISS id; a changed vector gets a new one.
--   xact:      the writing transaction's id, so a reader can catch up on new rows without
--              missing one committed late by a concurrent writer (docs/search.md).
--   embedder:  which text -> vector code made it; rows of another embedder are ignored.
CREATE TABLE receipt_vectors (
    job_id      uuid PRIMARY KEY REFERENCES receipts(job_id) ON DELETE CASCADE,
    vector_id   bigserial NOT NULL UNIQUE,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    embedder    text NOT NULL,
    vector      bytea NOT NULL,           -- float32 little-endian, unit length
    xact        bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipt_vectors_user_xact ON receipt_vectors (user_id, xact);
