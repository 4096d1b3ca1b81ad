//! Where a provider is: an address checked against the privacy policy before anything is sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use reqwest::Url;

use crate::ProviderError;

/// A provider's base address (the part before `/models` and `/chat/completions`).
///
/// `https://` is accepted for any host. `http://` only for this computer and the private
/// network (loopback, RFC 1918, link-local, IPv6 unique-local, `localhost`, single-label and
/// `.local`/`.lan`/`.home.arpa`/`.internal` names), because on the open internet a chat and its
/// key would travel readable by anyone on the way. No credentials, query or fragment: keys go
/// in the keychain, not in an address that ends up in settings and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
}

impl Endpoint {
    /// Checks `text`; a bare host (`http://127.0.0.1:8080`) gets OpenAI's `/v1`.
    pub fn parse(text: &str) -> Result<Endpoint, ProviderError> {
        let bad = |why: &str| ProviderError::BadAddress(format!("{}: {why}", shown(text)));
        let mut url = Url::parse(text.trim()).map_err(|e| {
            bad(&format!(
                "not a web address ({e}); write it like https://api.example.com/v1"
            ))
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("a user name or password in the address would be saved in plain text; give the API key separately"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("the address must not carry a query (?…) or fragment (#…); give the API key separately"));
        }
        let Some(host) = url.host_str().map(str::to_owned) else {
            return Err(bad("the address names no server"));
        };
        match url.scheme() {
            "https" => {}
            "http" if is_private_host(&host) => {}
            "http" => {
                return Err(bad("plain http:// is allowed only for this computer and your private network, where nobody else can read the chat on its way; use https://"));
            }
            other => {
                return Err(bad(&format!(
                    "`{other}:` is not a web address; use https://"
                )))
            }
        }
        if url.path() == "/" || url.path().is_empty() {
            url.set_path("/v1");
        }
        let trimmed = url.path().trim_end_matches('/').to_owned();
        url.set_path(&trimmed);
        Ok(Endpoint { url })
    }

    /// The address as given (normalised), safe to show and save.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The server's host name or address.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// Whether requests travel unencrypted (allowed only on the private network).
    pub fn is_plain_http(&self) -> bool {
        self.url.scheme() == "http"
    }

    /// Whether the server is this computer itself.
    pub fn is_this_computer(&self) -> bool {
        let host = self.host().trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host.ends_with(".localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// What a person should know before using this address, if anything.
    pub fn warning(&self) -> Option<String> {
        (self.is_plain_http() && !self.is_this_computer()).then(|| {
            format!(
                "{} is reached over plain http://: chats and the key travel unencrypted on your network. Use https:// if the server offers it.",
                self.host()
            )
        })
    }

    /// The address of `path` under the base (`models`, `chat/completions`).
    pub(crate) fn join(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}/{path}"));
        url
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The address for an error message: never with what may be a password or key in it.
fn shown(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => {
            let text: String = text.trim().chars().take(80).collect();
            match text.find('@') {
                Some(at) => format!("…{}", &text[at..]),
                None => text,
            }
        }
    }
}

fn is_private_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => is_private_v4(v4),
            IpAddr::V6(v6) => {
                v6.is_loopback()
                    || is_unique_local(v6)
                    || is_link_local_v6(v6)
                    || v6.to_ipv4_mapped().is_some_and(is_private_v4)
            }
        };
    }
    let name = bare.to_ascii_lowercase();
    name == "localhost"
        || !name.contains('.')
        || [".localhost", ".local", ".lan", ".home.arpa", ".internal"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback() || ip.is_private() || ip.is_link_local()
}

fn is_unique_local(ip: Ipv6Addr) -> bool {
    ip.segments()[0] & 0xfe00 == 0xfc00
}

fn is_link_local_v6(ip: Ipv6Addr) -> bool {
    ip.segments()[0] & 0xffc0 == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_plain_http_only_nearby() {
        for ok in [
            "https://api.openai.com/v1",
            "http://127.0.0.1:8080/v1",
            "http://localhost:11434/v1",
            "http://192.168.1.20:8000/v1",
            "http://10.0.0.5/v1",
            "http://172.16.3.4/v1",
            "http://[::1]:8080/v1",
            "http://[fd00::5]/v1",
            "http://gpu-box:8000/v1",
            "http://gpu-box.lan:8000/v1",
        ] {
            assert!(Endpoint::parse(ok).is_ok(), "{ok} should be accepted");
        }
        for bad in [
            "http://api.openai.com/v1",
            "http://8.8.8.8/v1",
            "http://172.32.0.1/v1",
            "http://[2001:db8::1]/v1",
            "ftp://example.com/v1",
            "not an address",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn secrets_in_the_address_are_refused_and_not_repeated() {
        for text in [
            "https://user:sk-secret123@api.example.com/v1",
            "https://api.example.com/v1?key=sk-secret123",
        ] {
            let message = Endpoint::parse(text).unwrap_err().to_string();
            assert!(!message.contains("sk-secret123"), "{message}");
        }
    }

    #[test]
    fn a_bare_host_gets_v1_and_paths_join() {
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(e.as_str(), "http://127.0.0.1:8080/v1");
        assert_eq!(
            e.join("chat/completions").as_str(),
            "http://127.0.0.1:8080/v1/chat/completions"
        );
        let e = Endpoint::parse("https://openrouter.ai/api/v1/").unwrap();
        assert_eq!(
            e.join("models").as_str(),
            "https://openrouter.ai/api/v1/models"
        );
        assert!(e.warning().is_none());
        assert!(Endpoint::parse("http://192.168.1.2/v1")
            .unwrap()
            .warning()
            .is_some());
        assert!(Endpoint::parse("http://localhost:1/v1")
            .unwrap()
            .warning()
            .is_none());
    }
}
