//! What a search box holds: an address, an ICCID, a phone number, one of our or Gigs' ids,
//! or a `Message-ID`; told apart here, so the store looks in one indexed column.

/// A search, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    /// Lower-cased.
    Email(String),
    /// 18–22 digits.
    Iccid(String),
    /// `+` and digits, as Gigs writes `phoneNumber`.
    Phone(String),
    Sim(String),
    Subscription(String),
    User(String),
    Delivery(String),
    Event(String),
    /// With its angle brackets, as the delivery stores it.
    MessageId(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSearch {
    #[error("q is empty: search by email, ICCID, phone number, an id or a Message-ID")]
    Empty,
    #[error(
        "q is not an email, ICCID (18–22 digits), phone number, id (sim_, sub_, usr_, dlv_, evt_) or Message-ID"
    )]
    Unrecognised,
}

impl SearchKey {
    pub fn parse(q: &str) -> Result<Self, BadSearch> {
        let q = q.trim();
        if q.is_empty() {
            return Err(BadSearch::Empty);
        }
        if q.len() > 320 || q.chars().any(char::is_control) {
            return Err(BadSearch::Unrecognised);
        }
        type Make = fn(String) -> SearchKey;
        let ids: [(&str, Make); 5] = [
            ("sim_", Self::Sim),
            ("sub_", Self::Subscription),
            ("usr_", Self::User),
            ("dlv_", Self::Delivery),
            ("evt_", Self::Event),
        ];
        for (prefix, key) in ids {
            if q.starts_with(prefix) && is_id(q) {
                return Ok(key(q.to_owned()));
            }
        }
        let bare = q.trim_start_matches('<').trim_end_matches('>');
        if q.starts_with('<') || q.ends_with('>') {
            return message_id(bare);
        }
        if let Some((local, domain)) = bare.split_once('@') {
            // Ours are `<dlv_…@domain>`: without its brackets a Message-ID reads as an
            // address, so one whose local part is a delivery id is taken as one.
            if local.starts_with("dlv_") && is_id(local) {
                return message_id(bare);
            }
            if !local.is_empty() && domain.contains('.') && !bare.contains(char::is_whitespace) {
                return Ok(Self::Email(bare.to_lowercase()));
            }
            return Err(BadSearch::Unrecognised);
        }
        let digits: String = q
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        let (plus, number) = match digits.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, digits.as_str()),
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadSearch::Unrecognised);
        }
        match (plus, number.len()) {
            (false, 18..=22) => Ok(Self::Iccid(number.to_owned())),
            (_, 6..=15) => Ok(Self::Phone(format!("+{number}"))),
            _ => Err(BadSearch::Unrecognised),
        }
    }

    /// The metric label of this kind of key.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Iccid(_) => "iccid",
            Self::Phone(_) => "phone",
            Self::Sim(_) => "sim",
            Self::Subscription(_) => "subscription",
            Self::User(_) => "user",
            Self::Delivery(_) => "delivery",
            Self::Event(_) => "event",
            Self::MessageId(_) => "messageId",
        }
    }
}

fn message_id(bare: &str) -> Result<SearchKey, BadSearch> {
    if bare.contains('@') && !bare.contains(char::is_whitespace) && !bare.contains(['<', '>']) {
        Ok(SearchKey::MessageId(format!("<{bare}>")))
    } else {
        Err(BadSearch::Unrecognised)
    }
}

fn is_id(s: &str) -> bool {
    s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(q: &str) -> SearchKey {
        SearchKey::parse(q).unwrap_or_else(|e| panic!("{q:?}: {e}"))
    }

    #[test]
    fn each_kind_of_key_is_recognised() {
        assert_eq!(
            key("  Jerry@Example.COM "),
            SearchKey::Email("jerry@example.com".into())
        );
        assert_eq!(
            key("89883070000007537119"),
            SearchKey::Iccid("89883070000007537119".into())
        );
        assert_eq!(
            key("8988 3070 0000 0753 7119"),
            SearchKey::Iccid("89883070000007537119".into())
        );
        assert_eq!(key("+19591234567"), SearchKey::Phone("+19591234567".into()));
        assert_eq!(
            key("+1 (959) 123-4567"),
            SearchKey::Phone("+19591234567".into())
        );
        assert_eq!(key("19591234567"), SearchKey::Phone("+19591234567".into()));
        assert_eq!(key("sim_abc"), SearchKey::Sim("sim_abc".into()));
        assert_eq!(key("sub_abc"), SearchKey::Subscription("sub_abc".into()));
        assert_eq!(key("usr_abc"), SearchKey::User("usr_abc".into()));
        assert_eq!(key("dlv_abc"), SearchKey::Delivery("dlv_abc".into()));
        assert_eq!(key("evt_abc"), SearchKey::Event("evt_abc".into()));
    }

    #[test]
    fn a_message_id_is_found_with_or_without_its_brackets() {
        let want = SearchKey::MessageId("<dlv_abc@acme.example>".into());
        assert_eq!(key("<dlv_abc@acme.example>"), want);
        assert_eq!(key("dlv_abc@acme.example"), want);
        assert_eq!(
            key("<CAF=x.y@mail.gmail.com>"),
            SearchKey::MessageId("<CAF=x.y@mail.gmail.com>".into())
        );
    }

    #[test]
    fn empty_and_unrecognisable_queries_are_refused() {
        assert_eq!(SearchKey::parse("   "), Err(BadSearch::Empty));
        for q in [
            "hello",
            "12",
            "+",
            "a@b",
            "<>",
            "sim_ a",
            "1234567890123456789012345",
        ] {
            assert_eq!(SearchKey::parse(q), Err(BadSearch::Unrecognised), "{q}");
        }
    }
}
