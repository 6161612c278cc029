//! `STATUS_API_TOKENS` and `STATUS_API_ROLES`: validated `(name, token, role)` entries. No
//! problem line ever quotes a token.
use std::collections::HashMap;

use secrecy::SecretString;

use super::reader::Reader;
use crate::domain::Role;

/// Shorter tokens can be guessed, as for webhook secrets.
pub const MIN_TOKEN_CHARS: usize = 16;

/// One status API token: `name:token` names it (history records the name), a bare token
/// has none. Every token is `admin` unless `STATUS_API_ROLES` says otherwise.
#[derive(Debug, Clone)]
pub struct StatusToken {
    pub name: Option<String>,
    pub token: SecretString,
    pub role: Role,
}

/// Reads both variables; `None` when there was a problem (each is recorded).
pub(super) fn read(r: &mut Reader<'_>) -> Option<Vec<StatusToken>> {
    const VAR: &str = "STATUS_API_TOKENS";
    let Some(entries) = r.list(VAR) else {
        r.problem(VAR, "is required but not set");
        return None;
    };
    let mut tokens = Vec::new();
    let mut problems = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        match parse_entry(entry) {
            Ok(token) => tokens.push(token),
            Err(problem) => problems.push(format!("entry {}: {problem}", i + 1)),
        }
    }
    // One line per variable, however many of its entries are wrong.
    if !problems.is_empty() {
        r.problem(VAR, format!("is wrong: {}", problems.join("; ")));
    }
    let roles = roles(r, &tokens)?;
    for token in &mut tokens {
        if let Some(role) = token.name.as_ref().and_then(|n| roles.get(n)) {
            token.role = *role;
        }
    }
    (!tokens.is_empty()).then_some(tokens)
}

fn parse_entry(entry: &str) -> Result<StatusToken, String> {
    let (name, token) = match entry.split_once(':') {
        Some((name, token)) => (Some(name), token),
        None => (None, entry),
    };
    if let Some(name) = name
        && (name.is_empty() || !name.bytes().all(is_name_byte))
    {
        return Err(format!(
            "the name {name:?} (before the colon) may hold only letters, digits, - and _"
        ));
    }
    if token.is_empty() {
        return Err("has no token after the colon; expected name:token".into());
    }
    let chars = token.chars().count();
    if chars < MIN_TOKEN_CHARS {
        return Err(format!(
            "a token of {chars} characters is too short (at least {MIN_TOKEN_CHARS})"
        ));
    }
    Ok(StatusToken {
        name: name.map(str::to_owned),
        token: SecretString::from(token.to_owned()),
        role: Role::Admin,
    })
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// `name=role` for named tokens; unset, every token is `admin`.
fn roles(r: &mut Reader<'_>, tokens: &[StatusToken]) -> Option<HashMap<String, Role>> {
    const VAR: &str = "STATUS_API_ROLES";
    let mut roles = HashMap::new();
    let mut problems = Vec::new();
    for entry in r.list(VAR).unwrap_or_default() {
        let problem = match entry.split_once('=') {
            None => format!("entry {entry:?} is not name=role"),
            Some((name, _)) if roles.contains_key(name) => format!("names {name:?} twice"),
            Some((name, _)) if !tokens.iter().any(|t| t.name.as_deref() == Some(name)) => {
                format!("names {name:?}, which is not the name of a STATUS_API_TOKENS token")
            }
            Some((name, role)) => match role.parse::<Role>() {
                Ok(role) => {
                    roles.insert(name.to_owned(), role);
                    continue;
                }
                Err(_) => {
                    format!("gives {name:?} the role {role:?}; expected viewer, support or admin")
                }
            },
        };
        problems.push(problem);
    }
    if problems.is_empty() {
        return Some(roles);
    }
    r.problem(VAR, format!("is wrong: {}", problems.join("; ")));
    None
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::config::Env;

    fn read_env(tokens: &str, roles: Option<&str>) -> Result<Vec<StatusToken>, Vec<String>> {
        let mut pairs = vec![("STATUS_API_TOKENS", tokens)];
        pairs.extend(roles.map(|r| ("STATUS_API_ROLES", r)));
        let env = Env::from_pairs(pairs);
        let mut r = Reader::new(&env);
        let tokens = read(&mut r);
        r.finish(|| tokens)
            .map_err(|e| e.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn tokens_may_be_named_and_every_one_is_admin_unless_a_role_is_given() {
        let tokens = read_env(
            "plain-token-0123456789 support-desk:desk-token-0123456 ro_1:viewer-token-012345",
            Some("support-desk=support, ro_1=viewer"),
        )
        .unwrap();
        let shown: Vec<_> = tokens
            .iter()
            .map(|t| (t.name.as_deref(), t.token.expose_secret(), t.role))
            .collect();
        assert_eq!(
            shown,
            [
                (None, "plain-token-0123456789", Role::Admin),
                (Some("support-desk"), "desk-token-0123456", Role::Support),
                (Some("ro_1"), "viewer-token-012345", Role::Viewer),
            ]
        );
    }

    #[test]
    fn a_bad_name_an_empty_token_or_a_short_one_is_refused_without_showing_it() {
        for (value, says) in [
            ("support desk:desk-token-0123456", "entry 1"),
            ("desk:", "no token"),
            ("x", "1 characters is too short"),
            ("desk:short-token", "too short"),
            ("a.b:desk-token-0123456", "may hold only"),
            (":desk-token-0123456", "may hold only"),
        ] {
            let problems = read_env(value, None).unwrap_err();
            let shown = problems.join("\n");
            assert!(shown.contains(says), "{value}: {shown}");
            assert!(shown.contains("STATUS_API_TOKENS"), "{shown}");
            assert!(
                !shown.contains("desk-token") && !shown.contains("short-token"),
                "{shown}"
            );
        }
    }

    #[test]
    fn roles_must_name_a_named_token_and_a_known_role() {
        let tokens = "support-desk:desk-token-0123456";
        for (roles, says) in [
            ("nobody=viewer", "\"nobody\", which is not the name"),
            ("support-desk=root", "the role \"root\""),
            ("support-desk", "not name=role"),
            ("support-desk=viewer,support-desk=admin", "twice"),
        ] {
            let problems = read_env(tokens, Some(roles)).unwrap_err().join("\n");
            assert!(problems.contains("STATUS_API_ROLES"), "{problems}");
            assert!(problems.contains(says), "{roles}: {problems}");
        }
    }
}
