-- SMTP_MAX_PER_SECOND held by every process on the database together: one row holds when
-- the next message may go (a shared schedule; nothing to release if a process dies).
-- Unlogged: a booking then commits without waiting for the WAL flush. The wait it returns
-- is counted from before its commit, so a slow flush made a send late and bunched it with
-- the next one (two sends 18 ms apart under load). Lost at a crash or a failover, the row
-- is made again by the next booking.
CREATE UNLOGGED TABLE smtp_pace (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    next_at  TIMESTAMPTZ NOT NULL
);
