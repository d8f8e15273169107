-- Labels for evaluation (the seed's labelling study): per image one reference label and any number
-- of reader labels. A replaced label is kept in label_history, so a reader's change of mind stays
-- on record.
CREATE TABLE image_label (
    image_id    uuid        NOT NULL REFERENCES image (id),
    reader_id   text        NOT NULL,  -- '' for the reference label
    label       smallint    NOT NULL CHECK (label BETWEEN 0 AND 3),
    comment     text,
    labelled_by text,                  -- reference label: who set it (e.g. "consensus of 3 readers")
    labelled_at timestamptz NOT NULL,
    PRIMARY KEY (image_id, reader_id)
);

CREATE INDEX image_label_reader_idx ON image_label (reader_id);

CREATE TABLE label_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    image_id    uuid        NOT NULL REFERENCES image (id),
    reader_id   text        NOT NULL,
    label       smallint    NOT NULL,
    comment     text,
    labelled_by text,
    labelled_at timestamptz NOT NULL,
    replaced_at timestamptz NOT NULL
);

CREATE INDEX label_history_image_idx ON label_history (image_id);
