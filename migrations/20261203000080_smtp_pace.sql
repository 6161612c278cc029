-- SMTP_MAX_PER_SECOND held by every process on the database together: one row holds when
-- the next message may go (a shared schedule; nothing to release if a process dies).
CREATE TABLE smtp_pace (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    next_at  TIMESTAMPTZ NOT NULL
);
