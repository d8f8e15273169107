-- Error-analysis runs: a decision tree over image attributes that predicts "the model was wrong",
-- stored with what produced it. At most one run per model version is active: its leaves give every
-- prediction of that version its reliability ("cases like this: 31% wrong, n = 58").
CREATE TABLE error_analysis (
    id               uuid PRIMARY KEY,
    model_version_id bigint      NOT NULL REFERENCES model_version (id),
    cohort           jsonb       NOT NULL,
    parameters       jsonb       NOT NULL,
    result           jsonb       NOT NULL,
    active           boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL
);

CREATE UNIQUE INDEX error_analysis_one_active_idx ON error_analysis (model_version_id) WHERE active;
CREATE INDEX error_analysis_created_idx ON error_analysis (created_at DESC);
