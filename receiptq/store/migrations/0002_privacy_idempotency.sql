-- Privacy (deleted tombstones, purge after processing) and Idempotency-Key on submit.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (status IN
    ('queued', 'processing', 'completed', 'failed', 'cancelling', 'cancelled', 'deleted'));
ALTER TABLE jobs ADD COLUMN delete_upload_after boolean NOT NULL DEFAULT false;

CREATE TABLE idempotency_keys (
    user_id        uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key            text NOT NULL,
    request_sha256 bytea NOT NULL,
    job_id         uuid REFERENCES jobs(id) ON DELETE CASCADE,  -- NULL while being accepted
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
