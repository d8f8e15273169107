-- DIMSE peers (a modality or PACS sending C-STORE) are named in the audit trail by their calling AE
-- title: a kind of its own, since they authenticate by AE title (and optionally TLS), not by API key.
ALTER TABLE audit_event DROP CONSTRAINT audit_event_actor_kind_check;
ALTER TABLE audit_event ADD CONSTRAINT audit_event_actor_kind_check
    CHECK (actor_kind IN ('user', 'api-key', 'anonymous', 'service', 'dicom-ae'));
