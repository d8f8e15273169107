-- The durable queue. An upload is acknowledged only after its image and job rows are committed;
-- a job is claimed by one replica at a time through a lease, and claimed again by any replica
-- (FOR UPDATE SKIP LOCKED) once the lease has expired: a crash loses nothing.
CREATE TABLE inference_job (
    id               uuid PRIMARY KEY,
    image_id         uuid             NOT NULL REFERENCES image (id),
    model_version_id bigint           NOT NULL REFERENCES model_version (id),
    status           text             NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED')),
    input            bytea,           -- pre-processed model input, float32 little-endian; dropped when done
    input_height     integer          NOT NULL,
    input_width      integer          NOT NULL,
    decode_ms        double precision NOT NULL,
    attempts         integer          NOT NULL DEFAULT 0,
    owner            text,
    lease_until      timestamptz      NOT NULL,
    failure_reason   text,
    created_at       timestamptz      NOT NULL,
    finished_at      timestamptz,
    UNIQUE (image_id, model_version_id)
);

CREATE INDEX inference_job_claimable_idx ON inference_job (lease_until) WHERE status IN ('QUEUED', 'RUNNING');

-- Idempotency-Key header: the same key returns the images of the first request.
CREATE TABLE idempotency_key (
    key        text PRIMARY KEY,
    image_ids  uuid[]      NOT NULL,
    created_at timestamptz NOT NULL
);
