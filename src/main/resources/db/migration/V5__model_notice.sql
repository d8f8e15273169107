-- A model package may say how its predictions must be read (model.json "notice", e.g. a
-- demonstration model trained on synthetic images); every prediction of that version carries it.
ALTER TABLE model_version ADD COLUMN notice text;
