-- Users, their API keys (only a hash is stored), uploads, jobs, receipts and items.
CREATE TABLE users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key_hash    bytea NOT NULL UNIQUE,
    prefix      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE uploads (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sha256      bytea NOT NULL,
    media_type  text NOT NULL,
    size_bytes  integer NOT NULL,
    filename    text,
    data        bytea,            -- NULL once purged by retention or a privacy request
    created_at  timestamptz NOT NULL DEFAULT now(),
    purged_at   timestamptz
);
CREATE INDEX uploads_user_sha256 ON uploads (user_id, sha256);

CREATE TABLE jobs (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    upload_id   uuid NOT NULL REFERENCES uploads(id),
    status      text NOT NULL CHECK (status IN
                  ('queued', 'processing', 'completed', 'failed', 'cancelling', 'cancelled')),
    progress    smallint NOT NULL DEFAULT 0,
    stage       text,
    message     text,
    error       text,
    attempts    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz
);
CREATE INDEX jobs_user_created ON jobs (user_id, created_at DESC);
CREATE INDEX jobs_status ON jobs (status) WHERE status IN ('queued', 'processing', 'cancelling');

CREATE TABLE receipts (
    job_id           uuid PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    user_id          uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    merchant_name    text,
    merchant_address text,
    receipt_date     date,
    total            numeric(14, 2),
    currency         text,
    data             jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipts_user_date ON receipts (user_id, receipt_date DESC);

CREATE TABLE receipt_items (
    job_id       uuid NOT NULL REFERENCES receipts(job_id) ON DELETE CASCADE,
    position     integer NOT NULL,
    description  text NOT NULL,
    quantity     numeric(14, 3),
    unit_price   numeric(14, 2),
    total_price  numeric(14, 2),
    category     text,
    PRIMARY KEY (job_id, position)
);
