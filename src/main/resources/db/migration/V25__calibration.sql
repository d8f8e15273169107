-- Calibrations: a map from a model version's raw class probabilities to calibrated ones (temperature
-- scaling or Platt scaling per sub-task), fitted by maximum likelihood on a labelled cohort, stored
-- with who fitted it, on which cohort, its parameters and its quality before and after (cross-fitted).
-- Numbered per model version. At most one per model version is active: predictions of that version
-- then carry their calibrated probabilities, computed on read; the raw ones never change.
CREATE TABLE calibration (
    id               uuid PRIMARY KEY,
    model_version_id bigint      NOT NULL REFERENCES model_version (id),
    version          integer     NOT NULL,
    method           text        NOT NULL CHECK (method IN ('temperature', 'platt')),
    cohort           jsonb       NOT NULL,
    parameters       jsonb       NOT NULL,
    result           jsonb       NOT NULL,
    created_by       text        NOT NULL,
    created_at       timestamptz NOT NULL,
    active           boolean     NOT NULL DEFAULT false,
    UNIQUE (model_version_id, version)
);

CREATE UNIQUE INDEX calibration_one_active_idx ON calibration (model_version_id) WHERE active;
CREATE INDEX calibration_created_idx ON calibration (created_at DESC);
