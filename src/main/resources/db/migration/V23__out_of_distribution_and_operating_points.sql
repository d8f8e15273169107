-- Issue 21 parts 2 and 3: every prediction's out-of-distribution score (NULL: the model package cannot tell, or
-- the check is off) and the findings positive at the model version's active operating point (NULL: no operating
-- point was active when it was stored), with the version of that operating point configuration.
ALTER TABLE prediction
    ADD COLUMN ood_score               double precision,
    ADD COLUMN ood_threshold           double precision,
    ADD COLUMN ood_flagged             boolean,
    ADD COLUMN flags                   text[],
    ADD COLUMN operating_point_version integer,
    ADD CONSTRAINT prediction_ood_complete CHECK ((ood_score IS NULL) = (ood_threshold IS NULL)
        AND (ood_score IS NULL) = (ood_flagged IS NULL));

CREATE INDEX prediction_flags ON prediction USING gin (flags);
CREATE INDEX prediction_ood_flagged ON prediction (created_at) WHERE ood_flagged;

-- Operating points: per model version, numbered configurations of per-finding thresholds with what they achieved
-- on the labelled set they were measured on. Version 1 may come from the model package; later ones are derived
-- from an evaluation cohort. At most one is active per model version: new predictions are flagged with it.
CREATE TABLE operating_point_configuration (
    id                 uuid             PRIMARY KEY,
    model_version_id   bigint           NOT NULL REFERENCES model_version (id),
    version            integer          NOT NULL CHECK (version >= 1),
    source             text             NOT NULL CHECK (source IN ('package', 'derived')),
    score_source       text             NOT NULL,
    points             jsonb            NOT NULL,
    target_sensitivity double precision CHECK (target_sensitivity > 0 AND target_sensitivity <= 1),
    cohort             jsonb,
    labelled           integer,
    bootstrap          integer,
    seed               bigint,
    created_at         timestamptz      NOT NULL,
    active             boolean          NOT NULL DEFAULT false,
    activated_at       timestamptz,
    UNIQUE (model_version_id, version)
);

CREATE UNIQUE INDEX operating_point_one_active ON operating_point_configuration (model_version_id) WHERE active;
