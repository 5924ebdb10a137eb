-- Corrections (PATCH /api/v3/receipts/{job_id}): the pipeline's reading is kept in
-- `original` once a receipt is first corrected (`data` is then the corrected receipt);
-- every changed field is a revision; a corrected merchant name is remembered per user
-- and shop (tax id, phone or normalised address) for the next receipt from it.
ALTER TABLE receipts ADD COLUMN original jsonb;

CREATE TABLE receipt_revisions (
    id          bigserial PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES receipts(job_id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    field       text NOT NULL,            -- "total", "merchant.name", "items[2].category"
    old_value   jsonb,                    -- JSON null when the field was empty
    new_value   jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipt_revisions_job ON receipt_revisions (job_id, id);

CREATE TABLE merchant_names (
    user_id        uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('tax_id', 'phone', 'address')),
    key            text NOT NULL,         -- the normalised tax id, phone or address
    name           text NOT NULL,
    source_job_id  uuid,                  -- the receipt whose correction taught it
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind, key)
);
