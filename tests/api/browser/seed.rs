//! A month of a brand's support desk, written straight into the test database: SIMs in
//! every state over 30 days (events, deliveries, their history, link openings, installs,
//! suppressions, alerts, audit entries), a family sharing one address, a SIM with a long
//! story, then the overview's figures computed as the job does.
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use crate::helpers::PROJECT;

/// What a test looks for in the seeded month.
pub struct Seeded {
    /// A user with several SIMs: searching for them lists each.
    pub family_user: String,
    /// A story worth a screenshot: retried, bounced, resent to a new address (with a
    /// notice to the old one), opened on an iPhone, installed.
    pub showcase_sim: String,
    /// A SIM with dozens of timeline items and long, unbroken text.
    pub long_sim: String,
}

const FIRST: [&str; 20] = [
    "Maria", "Liam", "Aiko", "Kwame", "Sofia", "Noah", "Priya", "Lucas", "Emma", "Omar", "Wei",
    "Fatima", "Jonas", "Isabella", "Mateo", "Hannah", "Arjun", "Chloé", "Yusuf", "Olivia",
];
const LAST: [&str; 20] = [
    "Gonzalez",
    "O'Connor",
    "Tanaka",
    "Mensah",
    "Rossi",
    "Müller",
    "Sharma",
    "Martin",
    "Johansson",
    "Haddad",
    "Chen",
    "Zahra",
    "Berg",
    "Costa",
    "Silva",
    "Schmidt",
    "Patel",
    "Dubois",
    "Demir",
    "Brown",
];
const DOMAINS: [&str; 4] = ["example.com", "example.org", "example.net", "mail.example"];
const LOCALES: [&str; 4] = ["en", "de", "fr", "es"];
const ACTIVATED_EVENT: &str = "com.gigs.subscription.activated";
const REMINDER_EVENT: &str = "com.gigs.reminder.subscription.simNotInstalled";

/// Deterministic dice: the same month every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A Gigs-like id: `sim_0SNlurA049MEWV1BAAmWZULA4lf6`.
    fn id(&mut self, prefix: &str) -> String {
        let body: String = (0..28)
            .map(|_| esim_courier::domain::BASE62[self.below(62) as usize] as char)
            .collect();
        format!("{prefix}_{body}")
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// One subscriber's SIM, as the event named it.
#[derive(Clone)]
struct Sim {
    id: String,
    subscription: String,
    user: String,
    name: String,
    email: String,
    iccid: String,
    phone: String,
    locale: &'static str,
}

/// A delivery row; what is not set stays NULL (or its column's default).
#[derive(Default)]
struct Delivery<'a> {
    id: String,
    status: &'a str,
    kind: &'a str,
    reason: Option<String>,
    event_id: String,
    resend_of: Option<String>,
    notice_of: Option<String>,
    recipient: Option<String>,
    attempts: i32,
    message_id: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    next_attempt_at: Option<DateTime<Utc>>,
    installed_at: Option<DateTime<Utc>>,
}

struct Writer<'c> {
    db: &'c mut PgConnection,
    dice: Dice,
}

impl Writer<'_> {
    async fn event(&mut self, sim: &Sim, kind: &str, at: DateTime<Utc>) -> String {
        let event_id = self.dice.id("evt");
        let payload = json!({
            "object": "event", "id": event_id, "type": kind, "project": PROJECT,
            "time": at.to_rfc3339(),
            "data": {
                "object": "subscription", "id": sim.subscription, "status": "active",
                "phoneNumber": sim.phone,
                "sim": { "object": "sim", "id": sim.id, "iccid": sim.iccid, "type": "eSIM" },
                "user": { "object": "user", "id": sim.user, "email": sim.email,
                          "fullName": sim.name, "preferredLocale": sim.locale },
            },
        });
        sqlx::query(
            "INSERT INTO webhook_events
                (webhook_id, event_id, event_type, project, payload, delivery_id, received_at)
             VALUES ($1, $2, $3, $4, $5, NULL, $6)",
        )
        .bind(self.dice.id("msg"))
        .bind(&event_id)
        .bind(kind)
        .bind(PROJECT)
        .bind(&payload)
        .bind(at)
        .execute(&mut *self.db)
        .await
        .unwrap();
        event_id
    }

    /// The event names the delivery it created (once that exists: a foreign key).
    async fn link(&mut self, event: &str, delivery: &str) {
        sqlx::query("UPDATE webhook_events SET delivery_id = $1 WHERE event_id = $2")
            .bind(delivery)
            .bind(event)
            .execute(&mut *self.db)
            .await
            .unwrap();
    }

    async fn delivery(&mut self, sim: &Sim, d: &Delivery<'_>) {
        sqlx::query(
            "INSERT INTO deliveries (id, status, kind, reason, event_id, event_type, project,
                sim_id, subscription_id, user_id, recipient, automatic, resend_of, notice_of,
                attempts, message_id, created_at, updated_at, delivered_at, next_attempt_at,
                installed_at, locale, iccid, phone_number)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                $17, $18, $19, $20, $21, $22, $23, $24)",
        )
        .bind(&d.id)
        .bind(d.status)
        .bind(d.kind)
        .bind(&d.reason)
        .bind(&d.event_id)
        .bind(if d.kind == "reminder" {
            REMINDER_EVENT
        } else {
            ACTIVATED_EVENT
        })
        .bind(PROJECT)
        .bind(&sim.id)
        .bind(&sim.subscription)
        .bind(&sim.user)
        .bind(&d.recipient)
        .bind(d.kind == "activation")
        .bind(&d.resend_of)
        .bind(&d.notice_of)
        .bind(d.attempts)
        .bind(&d.message_id)
        .bind(d.created_at)
        .bind(d.updated_at)
        .bind(d.delivered_at)
        .bind(d.next_attempt_at)
        .bind(d.installed_at)
        .bind(sim.locale)
        .bind(&sim.iccid)
        .bind(&sim.phone)
        .execute(&mut *self.db)
        .await
        .unwrap();
    }

    async fn line(&mut self, delivery: &str, at: DateTime<Utc>, status: &str, detail: &str) {
        self.opened(delivery, at, status, detail, None).await;
    }

    async fn opened(
        &mut self,
        delivery: &str,
        at: DateTime<Utc>,
        status: &str,
        detail: &str,
        device: Option<&str>,
    ) {
        sqlx::query(
            "INSERT INTO delivery_history (delivery_id, at, status, detail, device)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(delivery)
        .bind(at)
        .bind(status)
        .bind(detail)
        .bind(device)
        .execute(&mut *self.db)
        .await
        .unwrap();
    }

    async fn installed(&mut self, sim: &Sim, delivery: &str, at: DateTime<Utc>) {
        let event = self.event(sim, "com.gigs.eSimProfile.installed", at).await;
        sqlx::query(
            "INSERT INTO sim_installs (project, sim_id, installed_at, event_id)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(PROJECT)
        .bind(&sim.id)
        .bind(at)
        .bind(&event)
        .execute(&mut *self.db)
        .await
        .unwrap();
        sqlx::query("UPDATE deliveries SET installed_at = $2 WHERE sim_id = $1")
            .bind(&sim.id)
            .bind(at)
            .execute(&mut *self.db)
            .await
            .unwrap();
        let detail = format!("com.gigs.eSimProfile.installed {event}: the eSIM is installed");
        self.line(delivery, at, "delivered", &detail).await;
    }

    async fn suppress(&mut self, sim: &Sim, delivery: &str, reason: &str, at: DateTime<Utc>) {
        sqlx::query(
            "INSERT INTO suppressions (email, reason, provider, delivery_id, user_id, created_at)
             VALUES (lower($1), $2, 'ses', $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&sim.email)
        .bind(reason)
        .bind(delivery)
        .bind(&sim.user)
        .bind(at)
        .execute(&mut *self.db)
        .await
        .unwrap();
    }

    async fn alert(&mut self, kind: &str, delivery: &str, text: &str, at: DateTime<Utc>) {
        sqlx::query(
            "INSERT INTO alerts (kind, delivery_id, text, dedupe_key, attempts, sent_at, created_at)
             VALUES ($1, $2, $3, $4, 1, $5, $5)",
        )
        .bind(kind)
        .bind(delivery)
        .bind(text)
        .bind(format!("{kind}:{delivery}"))
        .bind(at)
        .execute(&mut *self.db)
        .await
        .unwrap();
    }

    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &mut self,
        at: DateTime<Utc>,
        actor: Option<&str>,
        role: Option<&str>,
        action: &str,
        target: Option<&str>,
        sim: Option<&str>,
        detail: &str,
    ) {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, role, action, target, sim_id, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.dice.id("aud"))
        .bind(at)
        .bind(actor)
        .bind(role)
        .bind(action)
        .bind(target)
        .bind(sim)
        .bind(detail)
        .execute(&mut *self.db)
        .await
        .unwrap();
    }

    fn sim(&mut self, person: usize) -> Sim {
        let (first, last) = (FIRST[person % 20], LAST[person / 20 % 20]);
        let local: String = format!("{first}.{last}")
            .to_lowercase()
            .replace('ü', "ue")
            .replace('é', "e")
            .replace('\'', "");
        Sim {
            id: self.dice.id("sim"),
            subscription: self.dice.id("sub"),
            user: self.dice.id("usr"),
            name: format!("{first} {last}"),
            email: format!("{local}@{}", DOMAINS[person % 4]),
            iccid: format!("8988307000000{}", self.dice.digits(7)),
            phone: format!("+1959{}", self.dice.digits(7)),
            locale: LOCALES[person % 7 % 4],
        }
    }

    fn message_id(&mut self) -> String {
        format!("<{}@acme.example>", self.dice.id("dlv").to_lowercase())
    }

    /// The SIM's activation email, queued when its event came, and what became of it.
    async fn activation(
        &mut self,
        sim: &Sim,
        at: DateTime<Utc>,
        fate: Fate,
        now: DateTime<Utc>,
    ) -> String {
        let id = self.dice.id("dlv");
        let event = self.event(sim, ACTIVATED_EVENT, at).await;
        let masked = esim_courier::domain::mask_email(&sim.email);
        let mut d = Delivery {
            id: id.clone(),
            status: fate.status(),
            kind: "activation",
            event_id: event.clone(),
            recipient: Some(sim.email.clone()),
            attempts: 1,
            created_at: at,
            updated_at: at + Duration::seconds(3),
            ..Delivery::default()
        };
        let sent = at + Duration::seconds(3);
        match fate {
            Fate::Pending => {
                d.attempts = 0;
                d.next_attempt_at = Some(now);
            }
            Fate::Retrying => {
                d.attempts = 2;
                d.reason = Some("Gigs answered 503".into());
                d.next_attempt_at = Some(now + Duration::minutes(4));
            }
            Fate::Failed => {
                d.attempts = 10;
                d.reason = Some(
                    "attempts exhausted (10): the mail server answered 451 4.3.0 temporary local problem".into(),
                );
                d.updated_at = at + Duration::hours(5);
            }
            Fate::Skipped => {
                d.reason = Some("Gigs has no credentials for this SIM".into());
            }
            Fate::Bounced => {
                d.reason = Some("bounced (ses): 550 5.1.1 mailbox does not exist".into());
                d.message_id = Some(self.message_id());
                d.delivered_at = Some(sent);
                d.updated_at = sent + Duration::minutes(1);
            }
            Fate::Delivered { .. } => {
                d.message_id = Some(self.message_id());
                d.delivered_at = Some(sent);
            }
        }
        self.delivery(sim, &d).await;
        self.link(&event, &id).await;
        let queued = format!("{ACTIVATED_EVENT} {event}: queued");
        self.line(&id, at, "pending", &queued).await;
        if matches!(fate, Fate::Pending) {
            return id;
        }
        self.line(&id, at + Duration::seconds(1), "processing", "attempt 1")
            .await;
        let accepted = format!(
            "accepted by the mail server for {masked} (locale {})",
            sim.locale
        );
        match fate {
            Fate::Pending => unreachable!(),
            Fate::Retrying => {
                let next =
                    (now + Duration::minutes(4)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let detail = format!("Gigs answered 503; next attempt at {next}");
                self.line(&id, at + Duration::seconds(2), "retrying", &detail)
                    .await;
            }
            Fate::Failed => {
                let reason = d.reason.as_deref().unwrap();
                self.line(&id, at + Duration::hours(5), "failed", reason)
                    .await;
                let text = format!("eSIM email {id} failed: {reason}");
                self.alert("failed", &id, &text, at + Duration::hours(5))
                    .await;
            }
            Fate::Skipped => {
                let reason = d.reason.as_deref().unwrap();
                self.line(&id, at + Duration::seconds(2), "skipped", reason)
                    .await;
            }
            Fate::Bounced => {
                self.line(&id, sent, "delivered", &accepted).await;
                let reason = d.reason.as_deref().unwrap();
                self.line(&id, sent + Duration::minutes(1), "bounced", reason)
                    .await;
                self.suppress(sim, &id, reason, sent + Duration::minutes(1))
                    .await;
                let text = format!(
                    "eSIM email {id} to {masked} bounced: 550 5.1.1 mailbox does not exist"
                );
                self.alert("bounced", &id, &text, sent + Duration::minutes(1))
                    .await;
            }
            Fate::Delivered { opened, installed } => {
                self.line(&id, sent, "delivered", &accepted).await;
                if let Some(after) = opened {
                    let (device, label) = [
                        ("iphone", "iPhone/iPad"),
                        ("android", "Android"),
                        ("desktop", "another device"),
                    ][self.dice.below(3) as usize];
                    let detail = format!("install link opened on {label}: redirected");
                    self.opened(&id, sent + after, "delivered", &detail, Some(device))
                        .await;
                    if let Some(later) = installed {
                        self.installed(sim, &id, sent + after + later).await;
                    }
                }
            }
        }
        id
    }
}

/// What became of an activation email.
#[derive(Clone, Copy)]
enum Fate {
    Pending,
    Retrying,
    Failed,
    Skipped,
    Bounced,
    /// Opened after this long, and then installed after this long.
    Delivered {
        opened: Option<Duration>,
        installed: Option<Duration>,
    },
}

impl Fate {
    fn status(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Bounced => "bounced",
            Self::Delivered { .. } => "delivered",
        }
    }
}

/// Seeds `sims` SIMs spread over the last 30 days (and the special ones), then computes
/// the overview's figures.
pub async fn month(pool: &PgPool, sims: usize) -> Seeded {
    let now = Utc::now();
    let mut db = pool.acquire().await.unwrap();
    let mut tx = sqlx::Connection::begin(&mut *db).await.unwrap();
    let mut w = Writer {
        db: &mut tx,
        dice: Dice(0x5eed_cafe_f00d_0001),
    };
    // A family: four SIMs, one address.
    let mut family = w.sim(0);
    family.email = "ngozi.okafor@example.org".into();
    family.name = "Ngozi Okafor".into();
    for (n, days) in [20, 12, 6, 1].into_iter().enumerate() {
        let mut line = w.sim(0);
        line.user = family.user.clone();
        line.email = family.email.clone();
        line.name = family.name.clone();
        let fate = Fate::Delivered {
            opened: (n < 3).then(|| Duration::minutes(30)),
            installed: (n < 2).then(|| Duration::minutes(5)),
        };
        w.activation(&line, now - Duration::days(days), fate, now)
            .await;
    }

    let showcase = showcase(&mut w, now).await;
    let long = long_story(&mut w, now).await;

    let month = Duration::days(30) - Duration::hours(1);
    // Oldest first and last of all, so the newest event is the last one written (the
    // overview's "last webhook") and the newest deliveries head the list; the last few are
    // still on their way.
    for n in 0..sims {
        let age =
            month * (sims - n) as i32 / sims as i32 - Duration::minutes(w.dice.below(40) as i64);
        let at = now - age.max(Duration::minutes(2));
        let sim = w.sim(n * 7 + 3);
        let fate = match (sims - n, w.dice.below(100)) {
            (1..=2, _) => Fate::Pending,
            (3..=4, _) => Fate::Retrying,
            // The last day has its failures too.
            (6 | 11, _) => Fate::Failed,
            (8, _) => Fate::Bounced,
            (_, 0..=5) => Fate::Failed,
            (_, 6..=10) => Fate::Bounced,
            (_, 11..=15) => Fate::Skipped,
            (_, roll) => {
                let opened = (roll < 80).then(|| Duration::minutes(2 + w.dice.below(600) as i64));
                let installed = (opened.is_some() && w.dice.chance(80))
                    .then(|| Duration::minutes(1 + w.dice.below(30) as i64));
                Fate::Delivered { opened, installed }
            }
        };
        w.activation(&sim, at, fate, now).await;
    }

    for (hours, actor, role, action, detail) in [
        (
            30,
            Some("support-desk"),
            Some("support"),
            "signIn",
            "console session from 203.0.113.x",
        ),
        (
            29,
            Some("ops-lead"),
            Some("admin"),
            "retry",
            "retry of 3 failed deliveries (1 passed over)",
        ),
        (
            26,
            None,
            None,
            "signInFailed",
            "a wrong token from 198.51.100.x",
        ),
        (
            5,
            Some("viewer-desk"),
            Some("viewer"),
            "signIn",
            "console session from 203.0.113.x",
        ),
    ] {
        w.audit(
            now - Duration::hours(hours),
            actor,
            role,
            action,
            None,
            None,
            detail,
        )
        .await;
    }
    tx.commit().await.unwrap();
    drop(db);
    esim_courier::store::overview::refresh(pool).await.unwrap();
    Seeded {
        family_user: family.user,
        showcase_sim: showcase,
        long_sim: long,
    }
}

/// Retried, bounced at an old address, resent by the desk to the new one (a notice to the
/// old), opened on an iPhone, installed.
async fn showcase(w: &mut Writer<'_>, now: DateTime<Utc>) -> String {
    let mut sim = w.sim(0);
    sim.name = "Maria Gonzalez".into();
    sim.email = "maria.gonzalez@example.com".into();
    let old = "m.gonzalez@example.net";
    let at = now - Duration::hours(27);
    let first = w.dice.id("dlv");
    let event = w.event(&sim, ACTIVATED_EVENT, at).await;
    let message = w.message_id();
    let bounced = "bounced (ses): 550 5.1.1 <m.gonzalez@example.net>: mailbox does not exist";
    w.delivery(
        &sim,
        &Delivery {
            id: first.clone(),
            status: "bounced",
            kind: "activation",
            reason: Some(bounced.into()),
            event_id: event.clone(),
            recipient: Some(old.into()),
            attempts: 2,
            message_id: Some(message),
            created_at: at,
            updated_at: at + Duration::minutes(4),
            delivered_at: Some(at + Duration::minutes(3)),
            ..Delivery::default()
        },
    )
    .await;
    w.link(&event, &first).await;
    let next = (at + Duration::minutes(3)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (after, status, detail) in [
        (0, "pending", format!("{ACTIVATED_EVENT} {event}: queued")),
        (1, "processing", "attempt 1".into()),
        (
            2,
            "retrying",
            format!("Gigs answered 503; next attempt at {next}"),
        ),
        (180, "processing", "attempt 2".into()),
        (
            181,
            "delivered",
            "accepted by the mail server for m***@example.net (locale es)".into(),
        ),
        (240, "bounced", bounced.into()),
    ] {
        w.line(&first, at + Duration::seconds(after), status, &detail)
            .await;
    }
    w.suppress(
        &Sim {
            email: old.into(),
            ..sim.clone()
        },
        &first,
        bounced,
        at + Duration::minutes(4),
    )
    .await;

    let resent_at = now - Duration::hours(3);
    let resend = w.dice.id("dlv");
    w.audit(
        resent_at,
        Some("support-desk"),
        Some("support"),
        "resend",
        Some(&first),
        Some(&sim.id),
        &format!("resend of {first} as {resend}"),
    )
    .await;
    let message = w.message_id();
    let sent = resent_at + Duration::seconds(2);
    w.delivery(
        &sim,
        &Delivery {
            id: resend.clone(),
            status: "delivered",
            kind: "resend",
            event_id: event.clone(),
            resend_of: Some(first.clone()),
            recipient: Some(sim.email.clone()),
            attempts: 1,
            message_id: Some(message),
            created_at: resent_at,
            updated_at: sent,
            delivered_at: Some(sent),
            ..Delivery::default()
        },
    )
    .await;
    let notice = w.dice.id("dlv");
    for (after, status, detail) in [
        (0, "pending", format!("resend of {first} by support-desk")),
        (1, "processing", "attempt 1".into()),
        (
            2,
            "delivered",
            format!(
                "accepted by the mail server for m***@example.com (locale es); a notice ({notice}) goes to the previous address"
            ),
        ),
    ] {
        w.line(
            &resend,
            resent_at + Duration::seconds(after),
            status,
            &detail,
        )
        .await;
    }
    w.delivery(
        &sim,
        &Delivery {
            id: notice.clone(),
            status: "skipped",
            kind: "notice",
            reason: Some("the previous address is suppressed".into()),
            event_id: event.clone(),
            notice_of: Some(resend.clone()),
            recipient: Some(old.into()),
            created_at: sent,
            updated_at: sent + Duration::seconds(1),
            ..Delivery::default()
        },
    )
    .await;
    w.line(
        &notice,
        sent,
        "skipped",
        "the previous address is suppressed",
    )
    .await;
    let open = sent + Duration::minutes(14);
    w.opened(
        &resend,
        open,
        "delivered",
        "install link opened on iPhone/iPad: redirected",
        Some("iphone"),
    )
    .await;
    w.installed(&sim, &resend, open + Duration::minutes(3))
        .await;
    sim.id
}

/// Twelve emails over a fortnight with the longest text a relay sends back.
async fn long_story(w: &mut Writer<'_>, now: DateTime<Utc>) -> String {
    let mut sim = w.sim(11);
    sim.email =
        "a.very.long.address.that.keeps.going.on.and.on@subdomain.of.a.long.example.com".into();
    let mut at = now - Duration::days(14);
    let event = w.event(&sim, ACTIVATED_EVENT, at).await;
    let long_reason = "the mail server answered 550-5.7.1 [2001:db8:ffff:ffff:ffff:ffff:ffff:1] \
        Our system has detected an unusual rate of unsolicited mail originating from your IP \
        address.To protect our users from spam, mail sent from your IP address has been \
        blocked.https://support.example.com/mail/answer/188131/why-was-this-message-blocked-and-what-can-be-done";
    let mut previous: Option<String> = None;
    for n in 0..12 {
        let id = w.dice.id("dlv");
        let kind = match n {
            0 => "activation",
            n if n % 3 == 0 => "reminder",
            _ => "resend",
        };
        // Each reminder comes from a reminder event of its own.
        let event = match kind {
            "reminder" => w.event(&sim, REMINDER_EVENT, at).await,
            _ => event.clone(),
        };
        w.delivery(
            &sim,
            &Delivery {
                id: id.clone(),
                status: "failed",
                kind,
                reason: Some(format!("attempts exhausted (10): {long_reason}")),
                event_id: event.clone(),
                resend_of: previous.clone().filter(|_| kind == "resend"),
                recipient: Some(sim.email.clone()),
                attempts: 10,
                created_at: at,
                updated_at: at + Duration::hours(2),
                ..Delivery::default()
            },
        )
        .await;
        if kind != "resend" {
            w.link(&event, &id).await;
        }
        let queued = match kind {
            "activation" => format!("{ACTIVATED_EVENT} {event}: queued"),
            "reminder" => format!("{REMINDER_EVENT} {event}: queued"),
            _ => "resend by support-desk".to_owned(),
        };
        w.line(&id, at, "pending", &queued).await;
        w.line(&id, at + Duration::seconds(1), "processing", "attempt 1")
            .await;
        let next = (at + Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        w.line(
            &id,
            at + Duration::seconds(2),
            "retrying",
            &format!("{long_reason}; next attempt at {next}"),
        )
        .await;
        w.line(
            &id,
            at + Duration::hours(2),
            "failed",
            &format!("attempts exhausted (10): {long_reason}"),
        )
        .await;
        if kind == "resend" {
            w.audit(
                at,
                Some("support-desk"),
                Some("support"),
                "resend",
                previous.as_deref(),
                Some(&sim.id),
                "resend by the support desk",
            )
            .await;
        }
        previous = Some(id);
        at += Duration::hours(26);
    }
    sim.id
}
