-- The SOP Class UID of a DICOM upload (0008,0016): a DICOM Structured Report about the image must
-- reference it by SOP Class and SOP Instance UID (issue 20). Not identifying. Images stored before
-- this column have none; the SR then falls back to the class their Modality implies (docs/pacs.md).
ALTER TABLE image ADD COLUMN sop_class_uid text;
