//! Query parameters every list shares: the page size and text that cannot match.
use super::ApiError;

/// Page sizes are 1 to 200; `default` when none is given.
pub(super) fn page_size(raw: Option<&str>, default: i64) -> Result<i64, ApiError> {
    match raw {
        None => Ok(default),
        Some(l) => l
            .parse()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| ApiError::BadRequest("limit must be an integer from 1 to 200".into())),
    }
}

/// PostgreSQL cannot compare text holding a NUL; no id or address holds a control
/// character, so such a filter could never match: a clear 400 instead.
pub(super) fn no_control(name: &str, value: Option<&str>) -> Result<(), ApiError> {
    if value.is_some_and(|v| v.chars().any(char::is_control)) {
        return Err(ApiError::BadRequest(format!(
            "{name} holds a control character"
        )));
    }
    Ok(())
}
