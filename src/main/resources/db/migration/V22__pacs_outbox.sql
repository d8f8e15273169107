-- DICOM result objects (SR, heat-map Secondary Capture) sent to PACS destinations by STOW-RS or C-STORE: the
-- outbox of interop.pacs, the same design as the HL7 one (V16). One row per image, destination and object,
-- written WAITING in the transaction that stores a DICOM upload and its job (the only moment the source
-- header's patient module is at hand), made PENDING in the transaction that stores the prediction, deleted
-- with the job's final failure. The object is built from the stored rows at each attempt (same UIDs, same
-- bytes). patient_module is the source header's Patient Module sealed with AES-GCM under
-- chestlens.pacs.patient-module-key (nonce || ciphertext || tag, the row id as associated data); NULL when
-- no key is configured, and set to NULL as soon as the row is DELIVERED or FAILED: the service never keeps
-- a patient's identity, and holds it sealed only while a delivery is still to come.
CREATE TABLE pacs_delivery (
    id                uuid        PRIMARY KEY,
    destination       text        NOT NULL,
    object_type       text        NOT NULL CHECK (object_type IN ('SR', 'SC')),
    image_id          uuid        NOT NULL REFERENCES image (id) ON DELETE CASCADE,
    model_id          text        NOT NULL,
    model_version     text        NOT NULL,
    prediction_id     uuid,
    patient_module    bytea,
    sop_instance_uid  text,
    status            text        NOT NULL CHECK (status IN ('WAITING', 'PENDING', 'DELIVERED', 'FAILED')),
    attempts          integer     NOT NULL DEFAULT 0,
    -- attempts made before the last manual re-send: max-attempts counts from here
    resent_at_attempt integer     NOT NULL DEFAULT 0,
    -- When the next attempt is due; while an attempt runs, the end of the claimant's lease.
    next_attempt_at   timestamptz NOT NULL,
    lease_owner       text,
    created_at        timestamptz NOT NULL,
    finished_at       timestamptz
);

CREATE INDEX pacs_delivery_due_idx ON pacs_delivery (destination, next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX pacs_delivery_destination_idx ON pacs_delivery (destination, created_at DESC, id DESC);
CREATE INDEX pacs_delivery_waiting_idx ON pacs_delivery (image_id) WHERE status = 'WAITING';

-- Every attempt: the answer's status (HTTP status of the STOW-RS POST, or the DIMSE status of the C-STORE
-- response as 0xhhhh), or none, and the error text.
CREATE TABLE pacs_delivery_attempt (
    delivery_id  uuid             NOT NULL REFERENCES pacs_delivery (id) ON DELETE CASCADE,
    attempt      integer          NOT NULL,
    attempted_at timestamptz      NOT NULL,
    attempted_by text             NOT NULL,
    status       text,            -- null when no answer came (refused, timed out, closed)
    error        text,
    duration_ms  double precision NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
