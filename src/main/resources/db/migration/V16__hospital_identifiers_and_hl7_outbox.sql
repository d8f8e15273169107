-- Lookups by the identifiers a hospital knows an image by (POST /api/v1/images/search), newest first.
-- The SOP Instance UID already has its unique index (V3); the study one is replaced by one that also
-- serves the ordering.
CREATE INDEX image_accession_number_idx ON image (accession_number, received_at DESC, id DESC)
    WHERE accession_number IS NOT NULL;
CREATE INDEX image_series_instance_uid_idx ON image (series_instance_uid, received_at DESC, id DESC)
    WHERE series_instance_uid IS NOT NULL;
CREATE INDEX image_subject_reference_idx ON image (subject_reference, received_at DESC, id DESC)
    WHERE subject_reference IS NOT NULL;
DROP INDEX image_study_instance_uid_idx;
CREATE INDEX image_study_instance_uid_idx ON image (study_instance_uid, received_at DESC, id DESC)
    WHERE study_instance_uid IS NOT NULL;

-- HL7 v2 results pushed over MLLP: the outbox of interop.hl7, the same design as the webhook outbox (V12).
-- One row per result and configured destination, written in the transaction that stores the prediction;
-- the ER7 text is rendered then and sent unchanged on every attempt (same MSH-10 control id, so a
-- receiver can drop a repeat). Destinations come from configuration and are named by their name.
CREATE TABLE hl7_message (
    id              uuid        PRIMARY KEY,
    destination     text        NOT NULL,
    event_type      text        NOT NULL,
    control_id      text        NOT NULL UNIQUE,
    prediction_id   uuid,
    image_id        uuid        NOT NULL,
    message         text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts        integer     NOT NULL DEFAULT 0,
    -- attempts made before the last manual re-send: max-attempts counts from here
    resent_at_attempt integer   NOT NULL DEFAULT 0,
    -- When the next attempt is due; while an attempt runs, the end of the claimant's lease.
    next_attempt_at timestamptz NOT NULL,
    lease_owner     text,
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz
);

CREATE INDEX hl7_message_due_idx ON hl7_message (destination, next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX hl7_message_destination_idx ON hl7_message (destination, created_at DESC, id DESC);

-- Every attempt: the acknowledgement code (AA, AE, AR; CA, CE, CR) or none, and the error text.
CREATE TABLE hl7_message_attempt (
    message_id   uuid             NOT NULL REFERENCES hl7_message (id) ON DELETE CASCADE,
    attempt      integer          NOT NULL,
    attempted_at timestamptz      NOT NULL,
    attempted_by text             NOT NULL,
    ack_code     text,            -- null when no acknowledgement came (refused, timed out, closed)
    error        text,
    duration_ms  double precision NOT NULL,
    PRIMARY KEY (message_id, attempt)
);
