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

/// An action the status API or the console offers, as the roles see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Every GET of the status API and the console.
    Read,
    /// Resend one delivery.
    Resend,
    /// Lift a suppression.
    Unsuppress,
    BulkRetry,
    Erase,
    ReadAudit,
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

    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::Read => true,
            Permission::Resend | Permission::Unsuppress => self != Self::Viewer,
            Permission::BulkRetry | Permission::Erase | Permission::ReadAudit => {
                self == Self::Admin
            }
        }
    }

    /// Viewers see addresses masked (`j***@example.com`) everywhere.
    pub fn sees_addresses(self) -> bool {
        self != Self::Viewer
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
    fn each_role_may_do_what_the_contract_says() {
        use Permission::*;
        let table = [
            (Role::Viewer, [true, false, false, false, false, false]),
            (Role::Support, [true, true, true, false, false, false]),
            (Role::Admin, [true, true, true, true, true, true]),
        ];
        for (role, allowed) in table {
            let asked = [Read, Resend, Unsuppress, BulkRetry, Erase, ReadAudit];
            for (permission, want) in asked.into_iter().zip(allowed) {
                assert_eq!(role.allows(permission), want, "{role} {permission:?}");
            }
        }
        assert!(!Role::Viewer.sees_addresses());
        assert!(Role::Support.sees_addresses());
        assert_eq!("support".parse::<Role>().unwrap(), Role::Support);
        assert!("root".parse::<Role>().is_err());
    }
}
