//! Resend safety: when a SIM's credentials go to a new address, the address its previous
//! email went to gets a notice (no code, QR or link); and the attempt that sends one.
use lettre::{Address, message::Mailbox};

use super::{
    attempt::{Attempt, AttemptError, Prepared, Resolved},
    policy,
};
use crate::{
    domain::{DeliveryId, DeliveryKind, SimId, mask_email},
    email::Recipient,
    store::{Claimed, notices, queue::NewNotice, suppressions},
};

impl Attempt<'_> {
    /// The notice a credentials email to `current` calls for, if any: its previous address
    /// differs and is not suppressed.
    pub(super) async fn notice_for(
        &self,
        c: &Claimed,
        sim: &SimId,
        current: &str,
    ) -> Result<Option<NewNotice>, AttemptError> {
        if !policy::may_call_for_notice(c.kind) {
            return Ok(None);
        }
        let unavailable = |e: crate::store::Error| AttemptError::Transient {
            reason: format!("the SIM's previous address could not be read: {e}"),
            retry_after: None,
        };
        let previous = notices::previous(self.pool, &c.project, sim, &c.id)
            .await
            .map_err(unavailable)?;
        let Some(previous) = policy::notice_to(c.kind, previous, current) else {
            return Ok(None);
        };
        let suppressed = suppressions::find(self.pool, &previous.recipient)
            .await
            .map_err(unavailable)?;
        if suppressed.is_some() {
            tracing::info!("no notice: the previous address is suppressed");
            return Ok(None);
        }
        let id = DeliveryId::generate();
        Ok(Some(NewNotice {
            first_line: format!(
                "notice of {} to the previous address {}",
                c.id,
                mask_email(&previous.recipient)
            ),
            id,
            to: previous.recipient,
            locale: previous.locale,
        }))
    }

    /// A notice goes to the address stored on it, in the language of the email it follows;
    /// it carries nothing that installs the line.
    pub(super) async fn prepare_notice(
        &self,
        c: &Claimed,
        resolved: &mut Resolved,
    ) -> Result<Prepared, AttemptError> {
        debug_assert_eq!(c.kind, DeliveryKind::Notice);
        let email = c
            .recipient
            .clone()
            .ok_or_else(|| AttemptError::Skip("the notice has no address".into()))?;
        let found =
            suppressions::find(self.pool, &email)
                .await
                .map_err(|e| AttemptError::Transient {
                    reason: format!("the suppression list could not be read: {e}"),
                    retry_after: None,
                })?;
        if let Some(s) = found {
            return Err(AttemptError::Skip(format!(
                "the address is suppressed since {}: {}",
                s.created_at.format("%Y-%m-%d"),
                s.reason
            )));
        }
        let address: Address = email
            .parse()
            .map_err(|_| AttemptError::Permanent("the notice's address is not valid".into()))?;
        resolved.recipient = Some(email);
        let recipient = Recipient {
            mailbox: Mailbox::new(None, address),
            name: None,
            preferred_locale: c.locale.as_deref(),
        };
        let composed = self
            .composer
            .compose_notice(c.id.as_str(), &recipient)
            .map_err(|e| {
                tracing::error!(error = %e, "composing the notice failed");
                AttemptError::Permanent("the notice could not be composed".into())
            })?;
        Ok(Prepared {
            message: composed.message,
            message_id: composed.message_id,
            locale: composed.locale,
            notice: None,
        })
    }
}
