//! Addresses as a viewer, a log line or an audit entry may show them: `j***@example.com`.

/// `j***@example.com`: enough for an operator to recognise, not enough to harvest.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('*');
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// Every address in free text masked, wherever it stands (reasons, history lines).
pub fn mask_addresses(text: &str) -> String {
    if !text.contains('@') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        // The address runs from the last separator before `@` to the next one after it.
        let is_edge = |c: char| c.is_whitespace() || "<>()[]\"',;:".contains(c);
        let start = rest[..at].rfind(is_edge).map_or(0, |i| i + 1);
        let end = rest[at..].find(is_edge).map_or(rest.len(), |i| at + i);
        out.push_str(&rest[..start]);
        let address = &rest[start..end];
        if start < at && end > at + 1 {
            out.push_str(&mask_email(address));
        } else {
            out.push_str(address);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_keeps_its_first_letter_and_domain() {
        assert_eq!(mask_email("jerry@example.com"), "j***@example.com");
        assert_eq!(mask_email("nonsense"), "***");
    }

    #[test]
    fn addresses_in_text_are_masked_and_nothing_else_changes() {
        assert_eq!(
            mask_addresses("bounced (ses): 550 <jerry@example.com>: no such user"),
            "bounced (ses): 550 <j***@example.com>: no such user"
        );
        assert_eq!(
            mask_addresses("to a@b.c and x.y@z.org"),
            "to a***@b.c and x***@z.org"
        );
        assert_eq!(mask_addresses("no address here"), "no address here");
        assert_eq!(mask_addresses("a lone @ sign"), "a lone @ sign");
        assert_eq!(mask_addresses("ends with jerry@"), "ends with jerry@");
    }
}
