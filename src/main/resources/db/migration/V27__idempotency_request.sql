-- What the first request with a key sent (SHA-256 over its files' SHA-256, in order): a key sent again
-- with other files is refused (422 idempotency-key-reused) rather than answered with the first
-- request's images, which would silently drop the new files. Keys remembered before this have none and
-- are answered as before.
ALTER TABLE idempotency_key ADD COLUMN request_sha256 text;
