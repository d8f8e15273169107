-- Model versions that have served predictions. A version's fold checksums never change: the
-- service refuses to start with a package that reuses a version for different weights.
CREATE TABLE model_version (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id           text        NOT NULL,
    version            text        NOT NULL,
    trained            boolean     NOT NULL,
    output_formulation text        NOT NULL CHECK (output_formulation IN ('softmax4', 'sigmoid3')),
    fold_checksums     text[]      NOT NULL,
    first_served_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (model_id, version)
);

-- One row per distinct upload (by content hash). No file name and no patient identity is kept.
CREATE TABLE image (
    id          uuid PRIMARY KEY,
    sha256      char(64)    NOT NULL UNIQUE,
    format      text        NOT NULL CHECK (format IN ('PNG', 'DICOM')),
    size_bytes  bigint      NOT NULL CHECK (size_bytes > 0),
    width       integer     NOT NULL CHECK (width > 0),
    height      integer     NOT NULL CHECK (height > 0),
    bit_depth   integer     NOT NULL CHECK (bit_depth BETWEEN 1 AND 32),
    colour_type text        NOT NULL,
    warnings    text[]      NOT NULL DEFAULT '{}',
    received_at timestamptz NOT NULL
);

-- One prediction per image and model version: at-least-once processing never duplicates.
CREATE TABLE prediction (
    id               uuid PRIMARY KEY,
    image_id         uuid             NOT NULL REFERENCES image (id),
    model_version_id bigint           NOT NULL REFERENCES model_version (id),
    predicted_class  smallint         NOT NULL CHECK (predicted_class BETWEEN 0 AND 3),
    p_cvx0           double precision NOT NULL CHECK (p_cvx0 BETWEEN 0 AND 1),
    p_cvx1           double precision NOT NULL CHECK (p_cvx1 BETWEEN 0 AND 1),
    p_cvx2           double precision NOT NULL CHECK (p_cvx2 BETWEEN 0 AND 1),
    p_cvx3           double precision NOT NULL CHECK (p_cvx3 BETWEEN 0 AND 1),
    score_cvx03vs12  double precision NOT NULL,
    score_cvx0vs3    double precision,          -- NULL: undefined (p0 + p3 = 0)
    score_cvx1vs2    double precision,          -- NULL: undefined (p1 + p2 = 0)
    confidence       double precision NOT NULL,
    fold_spread      double precision[] NOT NULL,
    decode_ms        double precision NOT NULL,
    wait_ms          double precision NOT NULL,
    inference_ms     double precision NOT NULL,
    created_at       timestamptz      NOT NULL,
    UNIQUE (image_id, model_version_id)
);

CREATE INDEX prediction_created_idx ON prediction (created_at DESC, id DESC);
CREATE INDEX prediction_class_created_idx ON prediction (predicted_class, created_at DESC, id DESC);
