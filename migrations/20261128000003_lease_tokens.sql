-- The heartbeat renews, and shutdown releases, leases by token every few seconds.
CREATE INDEX deliveries_by_lease_token ON deliveries (lease_token) WHERE lease_token IS NOT NULL;
