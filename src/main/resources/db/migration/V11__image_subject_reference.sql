-- The FHIR subject an uploading client named for an image (e.g. "Patient/123" on its EHR's FHIR
-- server), so FHIR results can point at the patient without this service storing who it is.
-- It identifies a patient in the client's system: returned only inside FHIR results, never logged.
ALTER TABLE image ADD COLUMN subject_reference text;
