-- Erasure finds the events that name a user without reading every payload.

-- The user an event names: its `data.user` (object or id), or the user it is about. Not
-- STRICT, so PostgreSQL can inline it; the CASE gives NULL for a NULL payload anyway.
CREATE OR REPLACE FUNCTION event_user_id(payload JSONB) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(payload->'data'->'user') = 'object' THEN payload->'data'->'user'->>'id'
        WHEN jsonb_typeof(payload->'data'->'user') = 'string' THEN payload->'data'->>'user'
        WHEN payload->'data'->>'object' = 'user' THEN payload->'data'->>'id'
    END
$$;

-- Not CONCURRENTLY: every process migrates at start, and one waiting on the migration
-- lock holds a snapshot a concurrent build would wait for (a deadlock that can leave an
-- invalid index behind). Writes to webhook_events wait while this builds.
CREATE INDEX webhook_events_by_user ON webhook_events (event_user_id(payload))
    WHERE erased_at IS NULL AND event_user_id(payload) IS NOT NULL;
