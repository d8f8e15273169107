-- The DICOM attributes kept per image (issue: DICOM ingestion). They are the features that later
-- explain where the model fails. No patient name, birth date or address is ever stored; the
-- Patient ID only as an HMAC with a server secret, so images of one patient can be grouped.
ALTER TABLE image
    ADD COLUMN modality                   text,
    ADD COLUMN body_part_examined         text,
    ADD COLUMN view_position              text,
    ADD COLUMN patient_sex                text,
    ADD COLUMN patient_age                text,
    ADD COLUMN manufacturer               text,
    ADD COLUMN manufacturer_model_name    text,
    ADD COLUMN institution_name           text,
    ADD COLUMN station_name               text,
    ADD COLUMN study_instance_uid         text,
    ADD COLUMN series_instance_uid        text,
    ADD COLUMN sop_instance_uid           text,
    ADD COLUMN accession_number           text,
    ADD COLUMN study_date                 text,
    ADD COLUMN photometric_interpretation text,
    ADD COLUMN bits_stored                integer,
    ADD COLUMN pixel_spacing              double precision[],
    ADD COLUMN transfer_syntax_uid        text,
    ADD COLUMN patient_id_hash            text;

-- The same SOP Instance UID is the same image, whatever its encoding.
CREATE UNIQUE INDEX image_sop_instance_uid_idx ON image (sop_instance_uid) WHERE sop_instance_uid IS NOT NULL;
CREATE INDEX image_study_instance_uid_idx ON image (study_instance_uid);
