-- API keys for integration engines: only a SHA-256 of the key is kept; the key itself is shown once.
CREATE TABLE api_key (
    id                     uuid PRIMARY KEY,
    name                   text        NOT NULL UNIQUE,
    key_hash               bytea       NOT NULL UNIQUE,
    key_prefix             text        NOT NULL,
    roles                  text[]      NOT NULL,
    rate_limit_per_minute  integer     CHECK (rate_limit_per_minute > 0),
    created_at             timestamptz NOT NULL DEFAULT now(),
    created_by             text        NOT NULL,
    expires_at             timestamptz,
    revoked_at             timestamptz,
    revoked_by             text
);

-- Who did what, when, from where, with which outcome. Resources are named by our own ids and paths,
-- never by patient identity.
CREATE TABLE audit_event (
    id              bigserial   PRIMARY KEY,
    occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor           text        NOT NULL,
    actor_kind      text        NOT NULL CHECK (actor_kind IN ('user', 'api-key', 'anonymous', 'service')),
    action          text        NOT NULL,
    http_method     text,
    resource        text,
    resource_ids    text[]      NOT NULL DEFAULT '{}',
    remote_address  text,
    status          integer,
    outcome         text        NOT NULL CHECK (outcome IN ('success', 'denied', 'rejected', 'error'))
);
CREATE INDEX audit_event_occurred_at ON audit_event (occurred_at);
CREATE INDEX audit_event_actor ON audit_event (actor, occurred_at);
CREATE INDEX audit_event_resource_ids ON audit_event USING gin (resource_ids);

-- Append-only for the application: UPDATE, DELETE and TRUNCATE are refused. A role that owns the table
-- could still disable the trigger, so production runs migrations as an owner role (spring.flyway.user)
-- and grants the application's role INSERT and SELECT only (README "Security"). Retention (deleting
-- old rows) is the owner's decision.
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
