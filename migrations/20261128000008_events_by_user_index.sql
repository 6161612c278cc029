-- no-transaction
-- Alone in its file: CONCURRENTLY runs outside a transaction, and then a deploy onto a
-- large table does not block webhooks while the index is built.
CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_events_by_user
    ON webhook_events (event_user_id(payload))
    WHERE erased_at IS NULL AND event_user_id(payload) IS NOT NULL;
