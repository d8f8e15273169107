-- Stat work is scored before routine work; recovery after a crash keeps the order.
ALTER TABLE inference_job ADD COLUMN priority text NOT NULL DEFAULT 'ROUTINE'
    CHECK (priority IN ('ROUTINE', 'STAT'));

-- The priority of an API key's uploads that name none (a backfill key is always routine).
ALTER TABLE api_key ADD COLUMN default_priority text CHECK (default_priority IN ('ROUTINE', 'STAT'));
