//! Which installer a user agent can use.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Ios,
    Android,
    /// A computer or anything unknown: gets a page with the QR code to scan.
    Other,
}

impl Device {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ios => "iPhone/iPad",
            Self::Android => "Android",
            Self::Other => "another device",
        }
    }
}

/// iPadOS Safari presents itself as a Mac by default, so such an iPad gets the QR page;
/// its camera can scan the code from a second screen, and the manual details are there.
pub fn detect(user_agent: &str) -> Device {
    // Windows Phone claims both "Android" and "iPhone" in its user agent.
    if user_agent.contains("Windows Phone") {
        return Device::Other;
    }
    if ["iPhone", "iPad", "iPod"]
        .iter()
        .any(|d| user_agent.contains(d))
    {
        return Device::Ios;
    }
    if user_agent.contains("Android") {
        return Device::Android;
    }
    Device::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_user_agents_map_to_their_installer() {
        let cases = [
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                Device::Ios,
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
                Device::Ios,
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
                Device::Android,
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
                Device::Android,
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                Device::Other,
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
                Device::Other,
            ),
            (
                "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0 Mobile Safari/537.36 Edge/15.15063",
                Device::Other,
            ),
            ("", Device::Other),
        ];
        for (ua, want) in cases {
            assert_eq!(detect(ua), want, "{ua}");
        }
    }
}
