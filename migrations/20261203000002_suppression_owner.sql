-- Suppressions remember whose address they hold, so an erasure finds them even after
-- retention has cleared the deliveries that linked the address to the user; and a number,
-- so a viewer can page through them without seeing the addresses the list is keyed by.
ALTER TABLE suppressions ADD COLUMN seq BIGSERIAL, ADD COLUMN user_id TEXT;
UPDATE suppressions s SET user_id = d.user_id FROM deliveries d WHERE d.id = s.delivery_id;
CREATE UNIQUE INDEX suppressions_by_seq ON suppressions (seq);
CREATE INDEX suppressions_by_user ON suppressions (user_id) WHERE user_id IS NOT NULL;
