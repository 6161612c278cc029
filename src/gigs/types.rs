//! The Gigs API objects this service reads; unknown fields are ignored.
use std::fmt;

use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Option<String>,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub preferred_locale: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    pub id: Option<String>,
    #[serde(default)]
    pub user: Value,
}

impl Subscription {
    /// The user id, whether Gigs sent the user expanded or as an id.
    pub fn user_id(&self) -> Option<&str> {
        match &self.user {
            Value::String(s) => Some(s),
            Value::Object(o) => o.get("id").and_then(Value::as_str),
            _ => None,
        }
    }
}

/// One page of a Gigs list: `{"object":"list","items":[…],"moreItemsAfter":…}`. Items
/// stay JSON: a list is read leniently, one odd item never spoils the page.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage {
    #[serde(default)]
    pub items: Vec<Value>,
    #[serde(default)]
    pub more_items_after: Option<String>,
}

/// What installs the eSIM. Every field is secret; `Debug` shows only which are present.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimCredentials {
    pub activation_code: Option<SecretString>,
    pub android_install_url: Option<SecretString>,
    pub ios_install_url: Option<SecretString>,
}

impl fmt::Debug for SimCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimCredentials")
            .field("activation_code", &self.activation_code.is_some())
            .field("android_install_url", &self.android_install_url.is_some())
            .field("ios_install_url", &self.ios_install_url.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_credentials_parse_and_never_print() {
        let json = include_str!("../../tests/fixtures/gigs/simCredentials.json");
        let creds: SimCredentials = serde_json::from_str(json).unwrap();
        assert!(creds.activation_code.is_some());
        let shown = format!("{creds:?}");
        assert!(
            !shown.contains("LPA") && !shown.contains("esimsetup"),
            "{shown}"
        );
    }

    #[test]
    fn the_documented_user_parses() {
        let json = include_str!("../../tests/fixtures/gigs/user.json");
        let user: User = serde_json::from_str(json).unwrap();
        assert_eq!(user.email.as_deref(), Some("jerry@example.com"));
        assert_eq!(user.preferred_locale.as_deref(), Some("en-US"));
    }
}
