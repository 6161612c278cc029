//! The LPA activation code that installs an eSIM: secret, parsed once, never printed.
use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// `LPA:1$<SM-DP+ address>$<matching id>[$…]`, as GSMA SGP.22 defines it.
pub struct LpaActivationCode {
    full: SecretString,
    smdp_end: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the activation code is not an LPA:1 string")]
pub struct InvalidLpa;

impl LpaActivationCode {
    pub fn parse(code: &str) -> Result<Self, InvalidLpa> {
        let code = code.trim();
        let rest = code
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("LPA:1$"))
            .map(|_| &code[6..])
            .ok_or(InvalidLpa)?;
        let smdp_len = rest.find('$').ok_or(InvalidLpa)?;
        if smdp_len == 0 {
            return Err(InvalidLpa);
        }
        Ok(Self {
            full: SecretString::from(code.to_owned()),
            smdp_end: 6 + smdp_len,
        })
    }

    /// The whole code, as the QR code carries it.
    pub fn expose(&self) -> &str {
        self.full.expose_secret()
    }

    pub fn smdp_address(&self) -> &str {
        &self.expose()[6..self.smdp_end]
    }

    /// The matching id, which users type in as "activation code" on manual install.
    pub fn matching_id(&self) -> &str {
        let after = &self.expose()[self.smdp_end + 1..];
        after.split('$').next().unwrap_or("")
    }
}

impl fmt::Debug for LpaActivationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LpaActivationCode([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_gigs_documentation_example() {
        let lpa = LpaActivationCode::parse("LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2").unwrap();
        assert_eq!(lpa.smdp_address(), "smdp.gigs.com");
        assert_eq!(lpa.matching_id(), "2M-3L0MX-F8HE2");
        assert_eq!(lpa.expose(), "LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2");
    }

    #[test]
    fn keeps_only_the_matching_id_when_optional_fields_follow() {
        let lpa = LpaActivationCode::parse("LPA:1$rsp.example$ABC$1.2.3$1").unwrap();
        assert_eq!(lpa.matching_id(), "ABC");
    }

    #[test]
    fn rejects_what_is_not_an_lpa_string() {
        for bad in [
            "",
            "LPA:1$",
            "LPA:1$$code",
            "LPA:2$a$b",
            "smdp$code",
            "LPA:1$host",
        ] {
            assert_eq!(
                LpaActivationCode::parse(bad).unwrap_err(),
                InvalidLpa,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_code() {
        let lpa = LpaActivationCode::parse("LPA:1$smdp.gigs.com$SECRET-1").unwrap();
        assert!(!format!("{lpa:?}").contains("SECRET"));
    }
}
