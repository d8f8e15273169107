-- Refusals the anonymous-flood limit answers without database work are recorded as one row per client
-- address and window: repeated says how many requests that row stands for (1 for every ordinary row).
ALTER TABLE audit_event ADD COLUMN repeated integer NOT NULL DEFAULT 1 CHECK (repeated >= 1);
