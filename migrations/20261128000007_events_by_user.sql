-- The user an event names: its `data.user` (object or id), or the user it is about. Erasure
-- finds a user's events by it, through the index of the next migration.
CREATE OR REPLACE FUNCTION event_user_id(payload JSONB) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT CASE
        WHEN jsonb_typeof(payload->'data'->'user') = 'object' THEN payload->'data'->'user'->>'id'
        WHEN jsonb_typeof(payload->'data'->'user') = 'string' THEN payload->'data'->>'user'
        WHEN payload->'data'->>'object' = 'user' THEN payload->'data'->>'id'
    END
$$;
