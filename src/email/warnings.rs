//! What the email settings should tell an operator at start.
use crate::config::EmailSettings;

/// Without `SUPPORT_URL` and `EMAIL_REPLY_TO`, every email tells its reader to reply for
/// help, and the replies go to `EMAIL_FROM`: someone must read that mailbox.
pub fn warnings(settings: &EmailSettings) -> Vec<String> {
    let mut out = Vec::new();
    if settings.support_url.is_none() && settings.reply_to.is_none() {
        out.push(format!(
            "neither SUPPORT_URL nor EMAIL_REPLY_TO is set: the emails ask subscribers to \
             reply for help, so EMAIL_FROM ({}) must be a monitored mailbox",
            settings.from.email
        ));
    }
    out
}
