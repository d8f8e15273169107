-- Per-caller token buckets shared by every replica (Bucket4j's PostgreSQL proxy manager, select-for-update
-- flavour: the row is locked while a request takes its token). id is a SHA-256 of the caller's bucket key,
-- so neither key names nor people's identities are stored here; state is Bucket4j's own serialised bucket;
-- expires_at (epoch milliseconds) is when an idle bucket would be full again, after which the cleaner
-- deletes the row.
CREATE TABLE rate_limit_bucket (
    id         varchar(64) PRIMARY KEY,
    state      bytea,
    expires_at bigint
);
CREATE INDEX rate_limit_bucket_expires_at ON rate_limit_bucket (expires_at);
