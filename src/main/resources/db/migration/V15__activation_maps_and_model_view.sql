-- The class activation maps of a prediction (format-2 model packages), averaged over folds: one
-- coarse grid per raw model output, float32 little-endian, map after map, each row-major. For
-- DenseNet-121 and four classes that is 4 x 7 x 7 x 4 = 784 bytes. Kept as long as the prediction.
CREATE TABLE prediction_activation_map (
    prediction_id uuid     PRIMARY KEY REFERENCES prediction (id) ON DELETE CASCADE,
    outputs       text[]   NOT NULL,
    height        smallint NOT NULL CHECK (height > 0),
    width         smallint NOT NULL CHECK (width > 0),
    grid          bytea    NOT NULL,
    CHECK (octet_length(grid) = cardinality(outputs) * height * width * 4)
);

-- The model's view of an image: the pre-processed input it scored (224 x 224), as an 8-bit grey
-- PNG, kept until expires_at (chestlens.retention.model-view) and then purged. The upload itself is
-- never kept.
CREATE TABLE image_model_view (
    image_id   uuid        PRIMARY KEY REFERENCES image (id) ON DELETE CASCADE,
    png        bytea       NOT NULL,
    width      integer     NOT NULL CHECK (width > 0),
    height     integer     NOT NULL CHECK (height > 0),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX image_model_view_expires_idx ON image_model_view (expires_at);
