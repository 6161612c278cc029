-- The support desk: search by ICCID and phone number, the audit log, and notices to a
-- SIM's previous address.

-- Filled at ingest from the event (`data.sim.iccid`, `data.phoneNumber`), copied onto a
-- SIM's later deliveries, cleared by erasure and retention with the recipient.
ALTER TABLE deliveries
    ADD COLUMN iccid TEXT,
    ADD COLUMN phone_number TEXT,
    -- A notice to the previous address names the credentials email it warns about.
    ADD COLUMN notice_of TEXT REFERENCES deliveries (id);
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_check
    CHECK (kind IN ('activation', 'resend', 'reminder', 'notice'));
CREATE INDEX deliveries_by_iccid ON deliveries (iccid) WHERE iccid IS NOT NULL;
CREATE INDEX deliveries_by_phone ON deliveries (phone_number) WHERE phone_number IS NOT NULL;

-- Every state-changing call and console sign-in. Holds no address in clear (masked), so
-- it outlives retention and erasure.
CREATE TABLE audit_log (
    seq     BIGSERIAL PRIMARY KEY,
    id      TEXT NOT NULL UNIQUE,
    at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor   TEXT,
    role    TEXT CHECK (role IN ('viewer', 'support', 'admin')),
    action  TEXT NOT NULL CHECK (action IN
                ('resend', 'retry', 'unsuppress', 'erasure', 'signIn', 'signInFailed')),
    target  TEXT,
    -- The SIM the action was about, so its timeline shows it.
    sim_id  TEXT,
    detail  TEXT NOT NULL
);
CREATE INDEX audit_log_by_sim ON audit_log (sim_id, seq) WHERE sim_id IS NOT NULL;
CREATE INDEX audit_log_by_actor ON audit_log (actor, seq DESC);
CREATE INDEX audit_log_by_action ON audit_log (action, seq DESC);
CREATE INDEX audit_log_by_time ON audit_log (at);
