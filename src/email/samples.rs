//! Sample data for previews and start-up checks: Gigs' documentation example code, never
//! a real one.
use super::{
    notice::NoticeContext,
    page::{InstallDetails, Page, PageContext},
    render::EmailContext,
};
use crate::domain::DeliveryKind;

pub const SAMPLE_LPA: &str = "LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";
pub const SAMPLE_IOS: &str = "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";
pub const SAMPLE_ANDROID: &str = "https://esimsetup.android.com/esim_qrcode_provisioning?carddata=LPA:1$smdp.gigs.com$2M-3L0MX-F8HE2";
const SAMPLE_BRAND: &str = "Acme Mobile";
const SAMPLE_SUPPORT: &str = "https://acme.example/help";
const SAMPLE_NAME: &str = "Jerry Seinfeld";

/// The sample email with every option set (brand, support, install link, a name), and the
/// one with none of them.
pub fn samples(locale: &'static str, kind: DeliveryKind) -> [EmailContext<'static>; 2] {
    let full = EmailContext {
        locale,
        kind,
        brand: Some(SAMPLE_BRAND),
        support_url: Some(SAMPLE_SUPPORT),
        name: Some(SAMPLE_NAME),
        install_link: Some("https://esim.acme.example/install/Xq3bT9wLr2mPz8KdVh4sNc7YfJ1gAeU6"),
        install_link_days: 30,
        ios_url: Some(SAMPLE_IOS),
        android_url: Some(SAMPLE_ANDROID),
        lpa: SAMPLE_LPA,
        smdp: "smdp.gigs.com",
        matching_id: "2M-3L0MX-F8HE2",
        qr_cid: "esim-qr@esim-courier",
    };
    let bare = EmailContext {
        brand: None,
        support_url: None,
        name: None,
        install_link: None,
        ..full
    };
    [full, bare]
}

/// The notice with a brand, support and a name, and the one with none of them.
pub fn notice_samples(locale: &'static str) -> [NoticeContext<'static>; 2] {
    let full = NoticeContext {
        locale,
        brand: Some(SAMPLE_BRAND),
        support_url: Some(SAMPLE_SUPPORT),
        name: Some(SAMPLE_NAME),
    };
    let bare = NoticeContext {
        brand: None,
        support_url: None,
        name: None,
        ..full
    };
    [full, bare]
}

/// Every page, with a brand and support and without; `qr_data_uri` stands for the QR.
pub fn page_samples<'a>(locale: &'a str, qr_data_uri: &'a str) -> Vec<PageContext<'a>> {
    let page = |page: Page<'a>, branded: bool| PageContext {
        locale,
        brand: branded.then_some(SAMPLE_BRAND),
        support_url: branded.then_some(SAMPLE_SUPPORT),
        page,
    };
    let install = || {
        Page::Install(InstallDetails {
            qr_data_uri,
            lpa: SAMPLE_LPA,
            smdp: "smdp.gigs.com",
            matching_id: "2M-3L0MX-F8HE2",
            ios_url: Some(SAMPLE_IOS),
            android_url: Some(SAMPLE_ANDROID),
        })
    };
    [true, false]
        .into_iter()
        .flat_map(|branded| {
            [
                page(install(), branded),
                page(Page::Installed, branded),
                page(Page::Missing, branded),
                page(Page::Neutral, branded),
            ]
        })
        .collect()
}
