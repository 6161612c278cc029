//! What a status API token may do: `viewer` reads, `support` also resends and lifts
//! suppressions, `admin` does everything (bulk retry, erasure, the audit log).
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Support,
    Admin,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}: expected viewer, support or admin")]
pub struct UnknownRole(pub String);

impl Role {
    pub const ALL: [Role; 3] = [Self::Viewer, Self::Support, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Support => "support",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, UnknownRole> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::domain::text_column!(Role);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_and_print_as_their_names_and_nothing_else_parses() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(role.to_string(), role.as_str());
        }
        for bad in ["Admin", "root", "", " viewer"] {
            assert!(bad.parse::<Role>().is_err(), "{bad:?}");
        }
    }
}
