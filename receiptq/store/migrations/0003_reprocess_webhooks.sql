-- Reprocessing (a new job on an existing upload, linked to the job it repeats), webhooks
-- (a callback URL per job and one delivery record per message), and the keyset order the
-- job list pages through.
ALTER TABLE jobs ADD COLUMN parent_job_id uuid REFERENCES jobs(id) ON DELETE SET NULL;
ALTER TABLE jobs ADD COLUMN callback_url text;
CREATE INDEX jobs_parent ON jobs (parent_job_id) WHERE parent_job_id IS NOT NULL;

-- GET /api/v3/receipts: newest first, ties broken by id, so a cursor is exact.
DROP INDEX IF EXISTS jobs_user_created;
CREATE INDEX jobs_user_created_id ON jobs (user_id, created_at DESC, id DESC);

CREATE TABLE webhook_deliveries (
    message_id    text PRIMARY KEY,        -- the webhook-id header: stable across retries
    job_id        uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    url           text NOT NULL,
    event         text NOT NULL,           -- job.completed | job.failed | job.cancelled
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'delivered', 'gone', 'failed', 'dropped')),
    attempts      integer NOT NULL DEFAULT 0,
    last_status   integer,                 -- HTTP status of the last attempt, if any
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz
);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id);
