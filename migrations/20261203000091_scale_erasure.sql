-- A million deliveries, continued: what retention and the quiet-webhooks watch read.

-- Erasure and retention clear the alerts of the deliveries they anonymise, 500 at a time:
-- without this every batch read the whole outbox (11 ms a batch with 27,000 alerts, about
-- 6 s of 30 days' retention). Alerts are written on failures and bounces only.
CREATE INDEX alerts_by_delivery ON alerts (delivery_id) WHERE delivery_id IS NOT NULL;

-- The quiet-webhooks watch (every 5 s where alerts are on) asks when the newest webhook
-- came. Events not erased are in `webhook_events_to_erase` by time; this holds the erased
-- ones, so the answer is two index lookups instead of reading every stored event (0.3–0.9 s
-- with 1.5 million). No entry per webhook: rows enter it only when erased.
CREATE INDEX webhook_events_erased_by_time ON webhook_events (received_at)
    WHERE erased_at IS NOT NULL;
