//! The shared kinds every layer speaks of: browser viewports and support channels.

use serde::{Deserialize, Serialize};

use super::named::named_enum;

named_enum! {
    /// A browser viewport.
    pub enum Viewport ("viewport") {
        /// 1366x768.
        Desktop = "desktop",
        /// 390x844, touch.
        Mobile = "mobile",
    }
}

named_enum! {
    /// What posted hours are for.
    #[derive(PartialOrd, Ord)]
    pub enum Channel ("channel") {
        /// Customer support in general.
        Support = "support",
        /// The live chat.
        Chat = "chat",
        /// The phone line.
        Phone = "phone",
        /// E-mail.
        Email = "email",
        /// A physical shop or pick-up point.
        Store = "store",
    }
}

/// Declares [`CheckId`] from one list, so the ids, their names and their report order are
/// written once.
macro_rules! check_ids {
    ($($variant:ident = $id:literal),* $(,)?) => {
        /// A check of the catalogue (docs/CHECKS.md), named by its stable id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CheckId {
            $(#[doc = concat!("`", $id, "`")] $variant,)*
        }

        impl CheckId {
            /// Every check, in report order.
            pub const ALL: &'static [CheckId] = &[$(CheckId::$variant,)*];

            /// The stable id: "contacts.single_email".
            pub fn as_str(self) -> &'static str {
                match self {
                    $(CheckId::$variant => $id,)*
                }
            }
        }
    };
}

check_ids! {
    ChatPresent = "chat.present",
    ChatOnEveryPage = "chat.on_every_page",
    ChatVisible = "chat.visible",
    ChatOnline = "chat.online",
    ChatOfflineFallback = "chat.offline_fallback",
    ChatOperatorIdentity = "chat.operator_identity",
    ChatBranding = "chat.branding",
    ChatAnswers = "chat.answers",
    ChatLiteracy = "chat.literacy",
    ContactsOnHome = "contacts.on_home",
    ContactsSingleEmail = "contacts.single_email",
    ContactsChannels = "contacts.channels",
    FormPresent = "form.present",
    FormAccepts = "form.accepts",
    FormAnswered = "form.answered",
    FormFirstResponseTime = "form.first_response_time",
    HoursPosted = "hours.posted",
    HoursOnHome = "hours.on_home",
    HoursHonored = "hours.honored",
    PhotosNoStockStaff = "photos.no_stock_staff",
    SiteHttps = "site.https",
    SitePrivacyPolicy = "site.privacy_policy",
    SelfserviceFaq = "selfservice.faq",
    UxNoIntrusivePopup = "ux.no_intrusive_popup",
    UxNoAutoplayAudio = "ux.no_autoplay_audio",
    EmailAnswered = "email.answered",
    EmailFirstResponseTime = "email.first_response_time",
    EmailAcknowledged = "email.acknowledged",
    EmailTicketReference = "email.ticket_reference",
    EmailPersonalSignature = "email.personal_signature",
    EmailAnswerQuality = "email.answer_quality",
    EmailLiteracy = "email.literacy",
}

impl std::str::FromStr for CheckId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        CheckId::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown check id {s:?}; `shopaudit checks` lists them"))
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CheckId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Which store a history row, a schedule, a report folder or a client link belongs to:
/// `store.id` in the scenario, else the scenario file's stem, else (a bare URL) its host and
/// port. Two scenarios for one site are two stores.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoreKey(String);

impl StoreKey {
    /// A key as written; the scenario validates the ones people write.
    pub fn new(key: impl Into<String>) -> Self {
        StoreKey(key.into())
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a report written before stores had keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
