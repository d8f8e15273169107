-- Webhooks: integration engines subscribe to events (a prediction stored, a job failed for good)
-- and get a signed POST (Standard Webhooks). Delivery is a transactional outbox: the event and one
-- delivery row per matching subscription are written in the transaction that stores the prediction
-- or the final failure, so a committed result is never left unannounced, and a rolled-back one never
-- announced. Dispatchers on any replica claim due deliveries with FOR UPDATE SKIP LOCKED.
CREATE TABLE webhook_subscription (
    id          uuid        PRIMARY KEY,
    url         text        NOT NULL,
    -- Kept as given (whsec_ + base64), not hashed: the sender must compute HMAC-SHA256 with the very
    -- key the receiver holds, so it needs the key itself; a hash could only check a key presented to
    -- us, which is the receiver's side. It is never returned by the API after creation, never logged.
    secret      text        NOT NULL,
    event_types text[]      NOT NULL,
    description text,
    active      boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL
);

-- One row per event that had at least one subscriber; the payload is stored as sent, so every
-- attempt (and every subscriber) gets the same bytes.
CREATE TABLE webhook_event (
    id          uuid        PRIMARY KEY,
    type        text        NOT NULL,
    payload     text        NOT NULL,
    occurred_at timestamptz NOT NULL
);

CREATE TABLE webhook_delivery (
    id              uuid        PRIMARY KEY,
    event_id        uuid        NOT NULL REFERENCES webhook_event (id),
    subscription_id uuid        NOT NULL REFERENCES webhook_subscription (id) ON DELETE CASCADE,
    status          text        NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts        integer     NOT NULL DEFAULT 0,
    -- When the next attempt is due; while an attempt runs, the end of the claimant's lease (a crashed
    -- dispatcher's delivery becomes due again when it passes).
    next_attempt_at timestamptz NOT NULL,
    lease_owner     text,
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    UNIQUE (event_id, subscription_id)
);

CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_delivery_subscription_idx ON webhook_delivery (subscription_id, created_at);

-- Every attempt, successful or not, for GET /api/v1/webhooks/{id}/deliveries.
CREATE TABLE webhook_delivery_attempt (
    delivery_id  uuid             NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
    attempt      integer          NOT NULL,
    attempted_at timestamptz      NOT NULL,
    attempted_by text             NOT NULL,
    status_code  integer,         -- null when no HTTP answer came (refused, timed out, ...)
    error        text,
    duration_ms  double precision NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
