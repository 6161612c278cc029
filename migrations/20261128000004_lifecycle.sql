-- The closed loop: why each delivery exists, reminders, and whether its eSIM got installed.
ALTER TABLE deliveries
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'activation'
        CHECK (kind IN ('activation', 'resend', 'reminder')),
    ADD COLUMN reminder_of TEXT REFERENCES deliveries (id),
    -- The SIM's, copied onto each of its deliveries for the status API's filter.
    ADD COLUMN installed_at TIMESTAMPTZ;
UPDATE deliveries SET kind = 'resend' WHERE resend_of IS NOT NULL;

-- A reminder event creates at most one reminder, however often it is redelivered.
CREATE UNIQUE INDEX deliveries_one_reminder_per_event
    ON deliveries (event_id) WHERE kind = 'reminder';
-- Only installed SIMs' deliveries: no cost when a webhook records a new one.
CREATE INDEX deliveries_installed ON deliveries (seq DESC) WHERE installed_at IS NOT NULL;

-- When a SIM's eSIM profile was first installed (or enabled), as Gigs told us. Kept apart
-- from deliveries: the event may come before any delivery exists.
CREATE TABLE sim_installs (
    project       TEXT NOT NULL,
    sim_id        TEXT NOT NULL,
    installed_at  TIMESTAMPTZ NOT NULL,
    event_id      TEXT NOT NULL,
    PRIMARY KEY (project, sim_id)
);
