-- The pre-processed input (224 x 224 float32, 196 KB) is written once per upload and dropped once scored.
-- Compressed by default (pglz), its insert took about 5.7 ms of the database's CPU, the largest single
-- statement of an upload, for a few per cent of space on data that is deleted within seconds. Stored
-- out of line and uncompressed, it is written as is.
ALTER TABLE inference_job ALTER COLUMN input SET STORAGE EXTERNAL;
