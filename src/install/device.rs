//! Who opened an install link, from the user agent: a phone's installer, a page for
//! anything else, or a robot (a mail scanner, a chat previewer, a crawler).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Ios,
    Android,
    /// A computer, or a phone the user agent does not reveal (iPadOS Safari, Android
    /// Chrome's "desktop site"): the QR page, with both one-tap links on it.
    Desktop,
}

impl Device {
    /// For the history's text.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ios => "iPhone/iPad",
            Self::Android => "Android",
            Self::Desktop => "another device",
        }
    }

    /// The class stored with the history line: `iphone`, `android` or `desktop`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ios => "iphone",
            Self::Android => "android",
            Self::Desktop => "desktop",
        }
    }
}

/// iPadOS Safari presents itself as a Mac by default, so such an iPad gets the QR page;
/// the one-tap links and the manual details are there too.
pub fn detect(user_agent: &str) -> Device {
    // Windows Phone claims both "Android" and "iPhone" in its user agent.
    if user_agent.contains("Windows Phone") {
        return Device::Desktop;
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
    Device::Desktop
}

/// Names that only robots carry: mail scanners, chat and social previewers, crawlers.
const ROBOT_NAMES: [&str; 12] = [
    "slackbot",
    "whatsapp",
    "facebookexternalhit",
    "telegrambot",
    "skypeuripreview",
    "bingpreview",
    "oneoutlook",
    "microsoft office",
    "ms-office",
    "crawler",
    "spider",
    "preview",
];

/// A user agent that is no person about to install: it gets a page that says what the
/// link is for, costs no Gigs call and is not counted as an opening. An empty one counts
/// (Microsoft's link checks send none). `bot` counts as a word ending (`Googlebot/2.1`,
/// `Twitterbot`), not inside a phone's model name (`CUBOT X30`).
pub fn is_robot(user_agent: &str) -> bool {
    let ua = user_agent.trim().to_ascii_lowercase();
    if ua.is_empty() || ROBOT_NAMES.iter().any(|name| ua.contains(name)) {
        return true;
    }
    ua.match_indices("bot").any(|(at, _)| {
        let after = ua[at + 3..].chars().next();
        after.is_none_or(|c| matches!(c, '/' | ';' | ')' | '-' | '_' | '+' | ','))
    })
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
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0 Mobile Safari/537.36 Edge/15.15063",
                Device::Desktop,
            ),
            // Android Chrome with "Desktop site" on: nothing says it is a phone.
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                Device::Desktop,
            ),
            ("", Device::Desktop),
        ];
        for (ua, want) in cases {
            assert_eq!(detect(ua), want, "{ua}");
        }
        assert_eq!(Device::Desktop.as_str(), "desktop");
    }

    fn robot(ua: &str) {
        assert!(is_robot(ua), "a robot: {ua}");
    }

    #[test]
    fn microsoft_link_checks_are_robots() {
        // Defender's pre-delivery check sends no user agent at all.
        robot("");
        robot(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/117.0.0.0 Safari/537.36 Edg/117.0.2045.47 OneOutlook/1.2023.927.100",
        );
        robot(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b",
        );
        robot("Microsoft Office Existence Discovery");
        robot("Mozilla/4.0 (compatible; ms-office; MSOffice 16)");
    }

    #[test]
    fn slackbot_is_a_robot() {
        robot("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)");
        robot("Slackbot 1.0 (+https://api.slack.com/robots)");
    }

    #[test]
    fn whatsapp_is_a_robot() {
        robot("WhatsApp/2.23.20.0 A");
        robot("WhatsApp/2.2329.9 i");
    }

    #[test]
    fn googlebot_is_a_robot() {
        robot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
        robot(
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        );
    }

    #[test]
    fn facebook_is_a_robot() {
        robot("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)");
    }

    #[test]
    fn twitter_is_a_robot() {
        robot("Twitterbot/1.0");
    }

    #[test]
    fn linkedin_is_a_robot() {
        robot(
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        );
    }

    #[test]
    fn discord_is_a_robot() {
        robot("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)");
    }

    #[test]
    fn telegram_is_a_robot() {
        robot("TelegramBot (like TwitterBot)");
    }

    #[test]
    fn skype_is_a_robot() {
        robot(
            "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
        );
    }

    #[test]
    fn apples_link_preview_is_a_robot() {
        // iMessage's preview names Facebook's and Twitter's crawlers; Applebot its own.
        robot(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        );
        robot(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        );
    }

    #[test]
    fn generic_bots_crawlers_spiders_and_previews_are_robots() {
        robot("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)");
        robot("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)");
        robot("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)");
        robot("Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)");
        robot("ia_archiver (+http://www.alexa.com/site/help/webmasters; crawler@alexa.com)");
        robot("Mozilla/5.0 (compatible; SomeLinkPreview/1.0)");
    }

    #[test]
    fn people_are_not_robots() {
        for ua in [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        ] {
            assert!(!is_robot(ua), "a person: {ua}");
        }
    }
}
