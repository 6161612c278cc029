-- The scale phase's data: 90 days of a brand's deliveries as the service would have written
-- them, made by SQL alone in one session. Each `-- step:` runs as its own statement batch
-- (the harness times each). Deterministic (setseed), so every run seeds the same rows.
--
-- Shape, per SIM: one Gigs `subscription.activated` event and its automatic delivery;
-- mostly delivered at once (some after retries), some skipped (pSIM), failed or bounced
-- (with a suppression and an alert); link openings with their device class; installs in
-- sim_installs with their `eSimProfile.installed` event; operator resends (audited; a notice
-- to the previous address when the address changed) and reminders from Gigs'
-- `simNotInstalled` events. Volume grows over the 90 days (twice as many a day at the end
-- as at the start) and follows the day (busier in the afternoon, quieter at night).

-- step: settings
SET synchronous_commit = off;
SET work_mem = '256MB';
SET maintenance_work_mem = '1GB';
SET max_parallel_workers_per_gather = 0;
-- Foreign keys are triggers: skipped for the seed's own rows, which are consistent by
-- construction (every id they name is inserted here).
SET session_replication_role = replica;
SELECT setseed(0.21);
-- A realistic id body: 24 characters of base64url-ish text, stable per key.
CREATE FUNCTION pg_temp.rid(k text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT translate(substr(encode(sha256(convert_to(k, 'UTF8')), 'base64'), 1, 24), '+/', 'Kq')
$$;

-- step: sims
CREATE TEMP TABLE seed_base AS
WITH b AS (
    SELECT n, (n - 0.5) / :sims::float8 AS u,
        random() AS r_out, random() AS r_user, random() AS r_inst, random() AS r_open,
        random() AS r_follow, random() AS r_change, random() AS r_dev, random() AS r_loc,
        random() AS r_a, random() AS r_b, random() AS r_c, random() AS r_d, random() AS r_e
    FROM generate_series(1, :sims) n
), g AS (
    -- Days since the start, growing: density 1 + t/90, so the cumulative share is u.
    SELECT *, 90 * (sqrt(1 + 3 * u) - 1) AS g FROM b
)
SELECT *,
    -- The day's rhythm: density 1 - 0.3 cos(2πt), peaking at noon UTC.
    now() - interval '90 days' + make_interval(secs =>
        600 + (g - 0.3 * sin(2 * pi() * g) / (2 * pi())) / 90 * (90 * 86400 - 1200)) AS t0,
    CASE WHEN r_user < 0.003 THEN 'h1' WHEN r_user < 0.004 THEN 'h2'
         WHEN r_user < 0.0045 THEN 'h3' WHEN r_user < 0.1 THEN 'f' || (n / 4)
         ELSE 'u' || n END AS user_key
FROM g;

-- step: sim plan
CREATE TEMP TABLE seed_sim AS
WITH names AS (
    SELECT '{Olivia,Liam,Emma,Noah,Amelia,Oliver,Ava,Elijah,Sophia,Lucas,Mia,Levi,Isabella,Mateo,Charlotte,Ezra,Luna,Asher,Harper,James,Evelyn,Leo,Aria,Luca,Ella,Henry,Nova,Hudson,Chloe,Ethan,Layla,Jack,Zoe,Aiden,Nora,Jerry,Elaine,George,Cosmo,Hannah}'::text[] AS first,
        '{Smith,Johnson,Williams,Brown,Jones,Garcia,Miller,Davis,Rodriguez,Martinez,Hernandez,Lopez,Gonzalez,Wilson,Anderson,Thomas,Taylor,Moore,Jackson,Martin,Lee,Perez,Thompson,White,Harris,Sanchez,Clark,Ramirez,Lewis,Robinson,Walker,Young,Allen,King,Wright,Scott,Seinfeld,Benes,Costanza,Kramer}'::text[] AS last,
        '{example.com,example.net,example.org,mail.example,inbox.example}'::text[] AS domains
), people AS (
    SELECT b.*,
        n.first[1 + abs(hashtext(user_key || 'f')) % 40] AS first_name,
        n.last[1 + abs(hashtext(user_key || 'l')) % 40] AS last_name,
        n.domains[1 + abs(hashtext(user_key || 'd')) % 5] AS domain,
        abs(hashtext(user_key || 'n')) % 10000 AS num
    FROM seed_base b, names n
), p AS (
    SELECT *,
        CASE user_key
            WHEN 'h1' THEN 'fleet@acme-logistics.example'
            WHEN 'h2' THEN 'IT-Mobile@BigCorp.example'
            WHEN 'h3' THEN 'qa+esim@bench.example'
            ELSE CASE WHEN abs(hashtext(user_key || 'c')) % 25 = 0
                      THEN first_name || '.' || last_name
                      ELSE lower(first_name || '.' || last_name) END
                 || num || '@' || domain
        END AS email,
        CASE WHEN r_out < 0.04 THEN 'skipped'
             WHEN r_out < 0.0475 THEN 'failed_perm'
             WHEN r_out < 0.055 AND t0 < now() - interval '7 hours' THEN 'failed_exh'
             WHEN r_out < 0.07 THEN 'bounced'
             WHEN t0 > now() - interval '40 minutes' AND r_out < 0.13 THEN 'open'
             WHEN r_out < 0.13 THEN 'retried'
             ELSE 'delivered' END AS outcome,
        CASE WHEN r_loc < 0.7 THEN 'en' WHEN r_loc < 0.82 THEN 'de'
             WHEN r_loc < 0.92 THEN 'es' ELSE 'fr' END AS locale,
        CASE WHEN r_dev < 0.55 THEN 'iphone' WHEN r_dev < 0.9 THEN 'android'
             ELSE 'desktop' END AS device
    FROM people
), times AS (
    SELECT *,
        t0 + make_interval(secs => 0.02 + r_a * 0.2) AS t_claim,
        CASE outcome
            WHEN 'retried' THEN t0 + make_interval(secs => 31 + r_b * 90)
            WHEN 'delivered' THEN t0 + make_interval(secs => 0.3 + r_b * 1.2)
            WHEN 'bounced' THEN t0 + make_interval(secs => 0.3 + r_b * 1.2)
        END AS t_sent,
        outcome IN ('delivered', 'retried') AND r_inst < 0.68 AS installed_first
    FROM p
), opened AS (
    SELECT *,
        CASE WHEN t_sent IS NOT NULL AND outcome <> 'bounced'
                  AND ((installed_first AND r_open < 0.85) OR (NOT installed_first AND r_open < 0.3))
             -- Most open within the hour, some days later.
             THEN t_sent + make_interval(secs => 20 + -ln(1 - r_c * 0.999) * 2400) END AS t_open
    FROM times
), follow AS (
    SELECT *,
        CASE WHEN installed_first THEN
            coalesce(t_open + make_interval(secs => 60 + r_d * 900),
                     t_sent + make_interval(secs => 300 + r_d * 86400)) END AS t_install_first,
        t0 < now() - interval '2 hours' AND (
            (outcome IN ('failed_perm', 'failed_exh', 'bounced') AND r_follow < 0.45)
            OR (outcome IN ('delivered', 'retried') AND NOT installed_first AND r_follow < 0.12)
        ) AS resent,
        outcome IN ('delivered', 'retried') AND NOT installed_first
            AND r_follow >= 0.12 AND r_follow < 0.27
            AND t0 < now() - interval '2 days' AS reminded
    FROM opened
)
SELECT *,
    CASE WHEN resent THEN t0 + least(interval '1 hour' + r_e * interval '3 days',
                                     (now() - t0) * 0.8) END AS t_resend,
    resent AND (outcome = 'bounced' OR r_change < 0.25) AS changed,
    CASE WHEN reminded THEN t0 + interval '1 day' + r_e * interval '20 hours' END AS t_remind,
    'sim_' || pg_temp.rid('sim' || n) AS sim_id,
    'sub_' || pg_temp.rid('sub' || n) AS sub_id,
    'usr_' || pg_temp.rid('usr' || user_key) AS usr_id,
    '8988307' || lpad(n::text, 13, '0') AS iccid,
    '+1' || (2015550000 + n * 7)::text AS phone,
    'dlv_' || pg_temp.rid('dlv-a' || n) AS d_act,
    'dlv_' || pg_temp.rid('dlv-r' || n) AS d_res,
    'dlv_' || pg_temp.rid('dlv-n' || n) AS d_not,
    'dlv_' || pg_temp.rid('dlv-m' || n) AS d_rem,
    'evt_' || pg_temp.rid('evt-a' || n) AS e_act,
    'evt_' || pg_temp.rid('evt-i' || n) AS e_inst,
    'evt_' || pg_temp.rid('evt-m' || n) AS e_rem
FROM follow;

-- step: sim outcomes
-- After a resend or a reminder, some install; the SIM's one install time.
CREATE TEMP TABLE seed_story AS
SELECT s.*,
    CASE WHEN resent THEN
        CASE WHEN changed AND outcome <> 'bounced' THEN lower(split_part(email, '@', 1)) || '@mail.example'
             WHEN changed THEN replace(lower(email), '@', '.fixed@')
             ELSE email END END AS resend_email,
    CASE WHEN resent THEN t_resend + make_interval(secs => 0.3 + r_b) END AS t_resend_sent,
    CASE WHEN reminded THEN t_remind + make_interval(secs => 0.3 + r_b) END AS t_remind_sent,
    CASE
        WHEN installed_first THEN t_install_first
        WHEN resent AND r_inst < 0.55 THEN t_resend + make_interval(secs => 120 + r_d * 7200)
        WHEN reminded AND r_inst < 0.4 THEN t_remind + make_interval(secs => 120 + r_d * 7200)
    END AS t_install_any
FROM seed_sim s;
ALTER TABLE seed_story ADD COLUMN t_install timestamptz;
UPDATE seed_story SET t_install = t_install_any WHERE t_install_any < now() - interval '1 minute';
-- Which delivery the install's history line went on: the SIM's latest at the time.
ALTER TABLE seed_story ADD COLUMN install_on text;
UPDATE seed_story SET install_on = CASE
    WHEN resent AND t_install > t_resend THEN d_res
    WHEN reminded AND t_install > t_remind THEN d_rem
    ELSE d_act END
WHERE t_install IS NOT NULL;
-- A second opening after a resend or a reminder, by those who then installed.
ALTER TABLE seed_story ADD COLUMN t_open_after timestamptz;
UPDATE seed_story SET t_open_after = t_install - make_interval(secs => 30 + r_a * 300)
WHERE t_install IS NOT NULL AND NOT installed_first AND r_open < 0.8;

-- step: drop indexes
-- The three big tables' indexes that back no constraint are dropped while the rows go in
-- and built again at the end (sorted builds: minutes faster). Read from the catalogue, so
-- a migration's new index is seeded too.
CREATE TEMP TABLE seed_indexes AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname IN ('deliveries', 'webhook_events', 'delivery_history')
  AND t.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT name FROM seed_indexes LOOP
        EXECUTE 'DROP INDEX ' || r.name;
    END LOOP;
END $$;

-- step: deliveries
CREATE TEMP TABLE seed_dl AS
SELECT d_act AS id, 'activation' AS kind,
    CASE outcome WHEN 'skipped' THEN 'skipped' WHEN 'failed_perm' THEN 'failed'
        WHEN 'failed_exh' THEN 'failed' WHEN 'bounced' THEN 'bounced'
        WHEN 'open' THEN 'retrying' ELSE 'delivered' END AS status,
    CASE outcome
        WHEN 'skipped' THEN 'the SIM is a physical SIM (pSIM)'
        WHEN 'failed_perm' THEN 'the mail server refused the message: 550 5.1.1 <' || email || '>: Recipient address rejected: User unknown in virtual mailbox table'
        WHEN 'failed_exh' THEN 'attempts exhausted (10): connection to the mail server timed out'
        WHEN 'bounced' THEN 'bounced (ses): 550 5.1.1 user unknown'
        WHEN 'open' THEN '454 Throttling failure: Maximum sending rate exceeded.'
    END AS reason,
    e_act AS event_id, 'com.gigs.subscription.activated' AS event_type, s.*,
    email AS recipient, true AS automatic, NULL::text AS resend_of,
    CASE outcome WHEN 'skipped' THEN 0 WHEN 'failed_exh' THEN 10 WHEN 'retried' THEN 2
        ELSE 1 END AS attempts,
    CASE WHEN outcome = 'open' THEN now() + interval '1 hour' END AS next_attempt_at,
    CASE WHEN outcome IN ('delivered', 'retried', 'bounced') THEN '<' || d_act || '@bench.example>' END AS message_id,
    t0 AS created_at,
    CASE outcome WHEN 'skipped' THEN t0
        WHEN 'failed_perm' THEN t_claim + interval '0.4 seconds'
        WHEN 'failed_exh' THEN t0 + interval '6 hours'
        WHEN 'bounced' THEN t_sent + make_interval(secs => 60 + r_c * 540)
        WHEN 'open' THEN t_claim + interval '1 second'
        ELSE t_sent END AS updated_at,
    t_sent AS delivered_at, NULL::text AS reminder_of, NULL::text AS notice_of,
    CASE WHEN t_sent IS NOT NULL THEN locale END AS d_locale
FROM seed_story s
UNION ALL
SELECT d_res, 'resend', 'delivered', NULL, e_act, 'com.gigs.subscription.activated', s.*,
    resend_email, false, d_act, 1, NULL, '<' || d_res || '@bench.example>',
    t_resend, t_resend_sent, t_resend_sent, NULL, NULL, locale
FROM seed_story s WHERE resent
UNION ALL
SELECT d_not, 'notice', 'delivered', NULL, e_act, 'com.gigs.subscription.activated', s.*,
    email, false, NULL, 1, NULL, '<' || d_not || '@bench.example>',
    t_resend_sent + interval '5 milliseconds', t_resend_sent + interval '900 milliseconds',
    t_resend_sent + interval '900 milliseconds', NULL, d_res, locale
FROM seed_story s WHERE resent AND changed AND outcome <> 'bounced'
UNION ALL
SELECT d_rem, 'reminder', 'delivered', NULL, e_rem,
    'com.gigs.reminder.subscription.simNotInstalled', s.*,
    email, false, NULL, 1, NULL, '<' || d_rem || '@bench.example>',
    t_remind, t_remind_sent, t_remind_sent, d_act, NULL, locale
FROM seed_story s WHERE reminded;

INSERT INTO deliveries (id, status, reason, event_id, event_type, project, sim_id,
    subscription_id, user_id, recipient, automatic, resend_of, attempts, next_attempt_at,
    message_id, created_at, updated_at, delivered_at, kind, reminder_of, installed_at,
    iccid, phone_number, notice_of, locale)
SELECT id, status, reason, event_id, event_type, :'project', sim_id, sub_id, usr_id,
    recipient, automatic, resend_of, attempts, next_attempt_at, message_id, created_at,
    updated_at, delivered_at, kind, reminder_of, t_install, iccid, phone, notice_of, d_locale
FROM seed_dl ORDER BY created_at;

-- step: webhook events
INSERT INTO webhook_events (webhook_id, event_id, event_type, project, payload, delivery_id,
    received_at)
SELECT 'msg_' || pg_temp.rid('msg' || event_id), event_id, event_type, :'project',
    jsonb_build_object(
        'object', 'event', 'id', event_id, 'type', event_type,
        'time', to_char((at - interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'project', :'project', 'source', 'https://api.gigs.com', 'specversion', '1.0',
        'datacontenttype', 'application/json', 'version', '2025-05-22',
        'data', data),
    delivery_id, at
FROM (
    SELECT e_act AS event_id, 'com.gigs.subscription.activated' AS event_type, t0 AS at,
        d_act AS delivery_id, s.*
    FROM seed_story s
    UNION ALL
    SELECT e_rem, 'com.gigs.reminder.subscription.simNotInstalled', t_remind, d_rem, s.*
    FROM seed_story s WHERE reminded
    UNION ALL
    SELECT e_inst, 'com.gigs.eSimProfile.installed', t_install, NULL, s.*
    FROM seed_story s WHERE t_install IS NOT NULL
) e
CROSS JOIN LATERAL (SELECT
    to_char((e.t0 - interval '90 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created,
    jsonb_build_object('object', 'sim', 'id', e.sim_id, 'iccid', e.iccid, 'provider', 'p9',
        'status', 'active', 'type', CASE WHEN e.outcome = 'skipped' THEN 'pSIM' ELSE 'eSIM' END,
        'metadata', '{}'::jsonb,
        'createdAt', to_char((e.t0 - interval '3 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS sim,
    jsonb_build_object('object', 'user', 'id', e.usr_id, 'email', e.email,
        'emailVerified', true, 'fullName', e.first_name || ' ' || e.last_name,
        'preferredLocale', e.locale || '-' || upper(CASE e.locale WHEN 'en' THEN 'us' ELSE e.locale END),
        'status', 'active', 'metadata', '{}'::jsonb,
        'createdAt', to_char((e.t0 - interval '5 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS usr
) j
CROSS JOIN LATERAL (SELECT CASE WHEN e.event_type = 'com.gigs.eSimProfile.installed' THEN
    jsonb_build_object('object', 'eSimProfile', 'id', 'esp_' || pg_temp.rid('esp' || e.n),
        'iccid', e.iccid, 'status', 'installed', 'sim', j.sim, 'subscription', e.sub_id,
        'user', e.usr_id, 'installedAt', to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
ELSE
    jsonb_build_object('object', 'subscription', 'id', e.sub_id, 'status', 'active',
        'activatedAt', to_char((e.t0 - interval '2 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'createdAt', j.created, 'phoneNumber', e.phone,
        'plan', jsonb_build_object('object', 'plan', 'id', 'pln_0SNlurA049MEWV3V0q7gjQbM4EVo', 'name', 'Unlimited'),
        'sim', j.sim, 'user', j.usr, 'metadata', '{}'::jsonb)
END AS data) p
ORDER BY at;

-- step: history
CREATE TEMP TABLE seed_lines (delivery_id text, at timestamptz, status text, detail text,
    device text);
-- Each delivery's first line, as the ingest batch, a resend, a notice or a reminder writes it.
INSERT INTO seed_lines
SELECT id, created_at, CASE WHEN kind = 'activation' AND status = 'skipped' THEN 'skipped' ELSE 'pending' END,
    CASE kind
        WHEN 'activation' THEN event_type || ' ' || event_id || ': ' || coalesce(CASE WHEN status = 'skipped' THEN reason END, 'queued')
        WHEN 'resend' THEN 'resend of ' || resend_of || ' by ' || CASE WHEN r_a < 0.7 THEN 'support-desk' ELSE 'ops-admin' END
        WHEN 'notice' THEN 'notice of ' || notice_of || ' to the previous address ' || left(recipient, 1) || '***@' || split_part(recipient, '@', 2)
        WHEN 'reminder' THEN event_type || ' ' || event_id || ': reminder of ' || reminder_of
    END, NULL
FROM seed_dl
UNION ALL
-- The first attempt of everything sent or tried.
SELECT id, CASE WHEN kind = 'activation' THEN t_claim ELSE created_at + interval '30 milliseconds' END,
    'processing', 'attempt 1', NULL
FROM seed_dl WHERE NOT (kind = 'activation' AND status = 'skipped')
UNION ALL
-- Retries: the relay pushed back, then accepted (or never did).
SELECT d_act, t_claim + interval '0.5 seconds', 'retrying',
    CASE WHEN outcome = 'failed_exh' THEN 'connection to the mail server timed out'
         ELSE '454 Throttling failure: Maximum sending rate exceeded.' END, NULL
FROM seed_story WHERE outcome IN ('retried', 'failed_exh', 'open')
UNION ALL
SELECT d_act, t_sent - interval '0.4 seconds', 'processing', 'attempt 2', NULL
FROM seed_story WHERE outcome = 'retried'
UNION ALL
SELECT d_act, t0 + make_interval(secs => a * a * 66), CASE WHEN a % 2 = 0 THEN 'processing' ELSE 'retrying' END,
    CASE WHEN a % 2 = 0 THEN 'attempt ' || (a / 2 + 1) ELSE 'connection to the mail server timed out' END, NULL
FROM seed_story, generate_series(2, 18) a WHERE outcome = 'failed_exh'
UNION ALL
-- Outcomes.
SELECT id, delivered_at, 'delivered',
    'accepted by the mail server for ' || recipient || ' (locale ' || d_locale || ')'
        || CASE WHEN kind = 'resend' AND changed AND outcome <> 'bounced'
                THEN '; a notice (' || d_not || ') goes to the previous address' ELSE '' END, NULL
FROM seed_dl WHERE delivered_at IS NOT NULL
UNION ALL
SELECT id, updated_at, 'failed', reason, NULL FROM seed_dl WHERE status = 'failed'
UNION ALL
SELECT id, updated_at, 'bounced', reason, NULL FROM seed_dl WHERE status = 'bounced'
UNION ALL
-- Notes on the original: its resend, its reminder.
SELECT d_act, t_resend, CASE outcome WHEN 'bounced' THEN 'bounced' WHEN 'delivered' THEN 'delivered'
        WHEN 'retried' THEN 'delivered' ELSE 'failed' END,
    'resent as ' || d_res || ' by ' || CASE WHEN r_a < 0.7 THEN 'support-desk' ELSE 'ops-admin' END
        || '; earlier install links revoked', NULL
FROM seed_story WHERE resent
UNION ALL
SELECT d_act, t_remind, 'delivered', 'reminder queued as ' || d_rem, NULL
FROM seed_story WHERE reminded
UNION ALL
-- Link openings, with the device class; a third open twice.
SELECT d_act, t_open, 'delivered', 'install link opened on '
    || CASE device WHEN 'iphone' THEN 'iPhone/iPad' WHEN 'android' THEN 'Android' ELSE 'another device' END
    || ': ' || CASE device WHEN 'desktop' THEN 'the QR code page' ELSE 'the install page' END, device
FROM seed_story WHERE t_open IS NOT NULL AND t_open < now()
UNION ALL
SELECT d_act, t_open + make_interval(secs => 40 + r_d * 600), 'delivered',
    'install link opened on iPhone/iPad: the install page', 'iphone'
FROM seed_story WHERE t_open IS NOT NULL AND r_open < 0.3 AND t_open + make_interval(secs => 40 + r_d * 600) < now()
UNION ALL
SELECT install_on, t_open_after, 'delivered', 'install link opened on '
    || CASE device WHEN 'iphone' THEN 'iPhone/iPad' WHEN 'android' THEN 'Android' ELSE 'another device' END
    || ': the install page', device
FROM seed_story WHERE t_open_after IS NOT NULL
UNION ALL
-- The install, on the SIM's latest delivery then.
SELECT install_on, t_install, 'delivered',
    'com.gigs.eSimProfile.installed ' || e_inst || ': the eSIM is installed', NULL
FROM seed_story WHERE t_install IS NOT NULL;

INSERT INTO delivery_history (delivery_id, at, status, detail, device)
SELECT delivery_id, at, status, detail, device FROM seed_lines ORDER BY at;

-- step: installs, suppressions, alerts, audit
INSERT INTO sim_installs (project, sim_id, installed_at, event_id)
SELECT :'project', sim_id, t_install, e_inst FROM seed_story WHERE t_install IS NOT NULL;

-- Hard bounces suppress the address (one row per address: the first bounce), and a few
-- complaints from delivered mail.
INSERT INTO suppressions (email, reason, provider, delivery_id, created_at, user_id)
SELECT * FROM (
SELECT DISTINCT ON (lower(email)) lower(email), reason, provider, id, at, usr_id FROM (
    SELECT email, 'bounced (ses): 550 5.1.1 user unknown' AS reason, 'ses' AS provider,
        d_act AS id, t_sent + make_interval(secs => 60 + r_c * 540) AS at, usr_id
    FROM seed_story WHERE outcome = 'bounced'
    UNION ALL
    SELECT email, 'complaint (postmark): SpamComplaint', 'postmark', d_act,
        t_sent + interval '2 hours', usr_id
    FROM seed_story WHERE outcome = 'delivered' AND r_change > 0.998 AND user_key NOT LIKE 'h%'
        AND t_sent < now() - interval '3 hours'
) x
ORDER BY lower(email), at
) first_bounces
-- The seq follows time, as rows would have come.
ORDER BY at;

INSERT INTO alerts (kind, delivery_id, text, dedupe_key, attempts, next_attempt_at, sent_at,
    created_at)
SELECT kind, delivery_id, text, dedupe_key, 1, at, at + interval '400 milliseconds', at FROM (
    SELECT 'failed' AS kind, id AS delivery_id,
        'eSIM email ' || id || ' failed: ' || regexp_replace(reason, '\S+@\S+', '[address]', 'g') AS text,
        'failed:' || id AS dedupe_key, updated_at AS at
    FROM seed_dl WHERE status = 'failed'
    UNION ALL
    SELECT 'bounced', id, 'eSIM email ' || id || ' to ' || left(recipient, 1) || '***@'
        || split_part(recipient, '@', 2) || ' bounced: 550 5.1.1 user unknown',
        'bounced:' || id, updated_at
    FROM seed_dl WHERE status = 'bounced'
    UNION ALL
    SELECT 'quiet', NULL, 'esim-courier: no verified webhook from Gigs for 6 hours',
        'quiet:' || g, now() - make_interval(days => g * 11)
    FROM generate_series(1, 7) g
) a ORDER BY at;

-- Operators: a resend each, sign-ins most days, some lifted suppressions, bulk retries and
-- erasures; newest last, as they were written.
INSERT INTO audit_log (id, at, actor, role, action, target, sim_id, detail)
SELECT 'aud_' || pg_temp.rid('aud' || k), at, actor, role, action, target, sim_id, detail FROM (
    SELECT 'r' || n AS k, t_resend AS at,
        CASE WHEN r_a < 0.7 THEN 'support-desk' ELSE 'ops-admin' END AS actor,
        CASE WHEN r_a < 0.7 THEN 'support' ELSE 'admin' END AS role,
        'resend' AS action, d_act AS target, sim_id, 'resent as ' || d_res AS detail
    FROM seed_story WHERE resent
    UNION ALL
    SELECT 's' || g, now() - interval '90 days' + make_interval(secs => g * 2600),
        CASE WHEN g % 3 = 0 THEN 'ops-admin' WHEN g % 3 = 1 THEN 'support-desk' ELSE 'night-shift' END,
        CASE WHEN g % 3 = 0 THEN 'admin' WHEN g % 3 = 1 THEN 'support' ELSE 'viewer' END,
        CASE WHEN g % 17 = 0 THEN 'signInFailed' ELSE 'signIn' END, NULL, NULL,
        CASE WHEN g % 17 = 0 THEN 'wrong token from 203.0.113.' || (g % 250) ELSE 'console sign-in' END
    FROM generate_series(1, 2980) g
    UNION ALL
    SELECT 'u' || n, t_sent + interval '3 days', 'support-desk', 'support', 'unsuppress',
        left(email, 1) || '***@' || split_part(email, '@', 2), sim_id, 'suppression lifted'
    FROM seed_story WHERE outcome = 'bounced' AND r_change < 0.05 AND t_sent < now() - interval '3 days'
    UNION ALL
    SELECT 'b' || g, now() - make_interval(days => g * 3), 'ops-admin', 'admin', 'retry', NULL, NULL,
        'bulk retry of failed deliveries: ' || (g * 7 % 40 + 1) || ' queued'
    FROM generate_series(1, 29) g
    UNION ALL
    SELECT 'e' || g, now() - make_interval(days => g * 2, hours => 5), 'ops-admin', 'admin', 'erasure',
        'usr_' || pg_temp.rid('erased' || g), NULL, 'erasure: 1 deliveries anonymised, 1 events erased'
    FROM generate_series(1, 44) g
) x ORDER BY at;

-- step: build indexes
RESET session_replication_role;
DROP TABLE seed_lines, seed_dl, seed_story, seed_sim, seed_base;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT def FROM seed_indexes LOOP
        EXECUTE r.def;
    END LOOP;
END $$;

-- step: vacuum
-- A deployment 90 days old has been vacuumed and analyzed: without this, autovacuum
-- would run through the fresh rows while the phase measures (one statement: VACUUM runs
-- outside a transaction only).
VACUUM (ANALYZE);
