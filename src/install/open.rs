//! Opening an install link: "already installed" once the SIM's eSIM is, else credentials
//! fetched at click time, then a redirect for a phone or the QR page for anything else.
use secrecy::{ExposeSecret, SecretString};

use super::{
    Device,
    page::{OneTap, Pages},
};
use crate::{
    config::EmailSettings, domain::LpaActivationCode, gigs::GigsClient,
    store::install_links::LiveLink,
};

/// What opening a link needs: Gigs, to fetch credentials at click time, and the pages.
pub struct InstallPages {
    gigs: GigsClient,
    pages: Pages,
    /// `INSTALL_LINK_SECRET`: links are looked up by their keyed hash.
    key: SecretString,
}

/// What a live link leads to. The redirect target is a credential: never logged.
pub enum Opened {
    Redirect(SecretString),
    Page(String),
}

impl InstallPages {
    pub fn new(gigs: GigsClient, email: &EmailSettings) -> anyhow::Result<Self> {
        Ok(Self {
            gigs,
            pages: Pages::new(email)?,
            key: email.install_link_key.clone(),
        })
    }

    /// The live link `token` opens under the current `INSTALL_LINK_SECRET`.
    pub async fn find_live(
        &self,
        pool: &sqlx::PgPool,
        token: &str,
    ) -> crate::store::Result<Option<crate::store::install_links::LiveLink>> {
        super::links::find_live(pool, &self.key, token).await
    }

    /// The not-found page in `locale` (one of `email::SUPPORTED_LOCALES`).
    pub fn not_available(&self, locale: &str) -> String {
        self.pages.not_available(locale)
    }

    /// The page a link scanner or previewer gets: what the link is for, nothing more.
    pub fn neutral(&self, locale: &str) -> String {
        self.pages.neutral(locale)
    }

    /// The `Content-Security-Policy` every answer on `/install/` carries.
    pub fn csp(&self) -> &str {
        self.pages.csp()
    }

    /// The redirect or page, and what was done (for the history, without secrets).
    pub async fn open(
        &self,
        link: &LiveLink,
        device: Device,
        locale: &str,
    ) -> anyhow::Result<(Opened, &'static str)> {
        anyhow::ensure!(
            link.project == self.gigs.project().as_str(),
            "link of another project"
        );
        // A QR code installs once: sending an installed SIM's reader to the installer
        // again only meets "this code is no longer valid" (and an invitation to delete
        // and retry, the one irreversible mistake). No credentials are fetched.
        if link.installed_at.is_some() {
            let page = self.pages.installed(locale)?;
            return Ok((Opened::Page(page), "showed the already-installed page"));
        }
        let creds = self.gigs.sim_credentials(&link.sim_id).await?;
        match (device, &creds.ios_install_url, &creds.android_install_url) {
            (Device::Ios, Some(url), _) => {
                return Ok((
                    Opened::Redirect(url.clone()),
                    "redirected to the iOS installer",
                ));
            }
            (Device::Android, _, Some(url)) => {
                return Ok((
                    Opened::Redirect(url.clone()),
                    "redirected to the Android installer",
                ));
            }
            _ => {}
        }
        let code = creds
            .activation_code
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("Gigs has no credentials for this SIM"))?;
        let lpa = LpaActivationCode::parse(code.expose_secret())?;
        let one_tap = OneTap {
            ios: creds.ios_install_url.as_ref().map(|u| u.expose_secret()),
            android: creds
                .android_install_url
                .as_ref()
                .map(|u| u.expose_secret()),
        };
        let page = self.pages.install(&lpa, one_tap, locale)?;
        Ok((Opened::Page(page), "showed the QR code page"))
    }
}
