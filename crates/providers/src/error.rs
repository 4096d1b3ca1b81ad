//! What went wrong talking to a provider, in words for the person at the screen.

/// Why a request to a provider failed. Messages never contain the API key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The address breaks the policy or is not an address.
    #[error("{0}")]
    BadAddress(String),
    /// 401/403: the key is wrong, revoked, or lacks access.
    #[error("{provider} refused the API key (HTTP {status}); check the key in Settings → Remote providers{}", detail(.message))]
    WrongKey {
        /// The provider's name.
        provider: String,
        /// 401 or 403.
        status: u16,
        /// What the server said (key removed).
        message: String,
    },
    /// 402, or a 429 that says the quota is used up.
    #[error("{provider} says the account has no credit left{}; add credit with the provider or use another model", detail(.message))]
    NoCredit {
        /// The provider's name.
        provider: String,
        /// What the server said.
        message: String,
    },
    /// 429 again after one retry, or a wait longer than it is worth.
    #[error("{provider} is limiting requests (HTTP 429){}; try again {}", detail(.message), match .retry_after { Some(s) => format!("in {s} seconds"), None => "in a moment".to_owned() })]
    RateLimited {
        /// The provider's name.
        provider: String,
        /// Seconds the server asked to wait, when it said.
        retry_after: Option<u64>,
        /// What the server said.
        message: String,
    },
    /// The server does not have the model.
    #[error("{provider} has no model `{model}`{}; refresh the provider's model list", detail(.message))]
    ModelNotFound {
        /// The provider's name.
        provider: String,
        /// The model id asked for.
        model: String,
        /// What the server said.
        message: String,
    },
    /// 404 on the API itself: the address is probably wrong.
    #[error("{provider} has nothing at {url} (HTTP 404); check the provider's address (it usually ends in /v1)")]
    NotFound {
        /// The provider's name.
        provider: String,
        /// The address asked.
        url: String,
    },
    /// No connection could be made.
    #[error("cannot reach {provider} at {host}: {reason}; check that the server is running and the address is right")]
    Unreachable {
        /// The provider's name.
        provider: String,
        /// The host.
        host: String,
        /// What failed.
        reason: String,
    },
    /// The server took too long to answer or went silent.
    #[error("{provider} did not answer within {seconds} seconds; the server may be overloaded, try again")]
    Timeout {
        /// The provider's name.
        provider: String,
        /// How long Hearth waited.
        seconds: u64,
    },
    /// The connection broke while the reply was streaming.
    #[error("the connection to {provider} broke in the middle of the reply ({reason}); what arrived is kept")]
    Cut {
        /// The provider's name.
        provider: String,
        /// What failed.
        reason: String,
    },
    /// Any other error status from the server.
    #[error("{provider} answered HTTP {status}{}", detail(.message))]
    Server {
        /// The provider's name.
        provider: String,
        /// The status.
        status: u16,
        /// What the server said.
        message: String,
    },
    /// The server answered something that is not the OpenAI protocol.
    #[error(
        "{provider} sent a reply Hearth cannot read ({reason}); is it an OpenAI-compatible server?"
    )]
    BadReply {
        /// The provider's name.
        provider: String,
        /// What was wrong.
        reason: String,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up HTTPS: {0}")]
    Setup(String),
}

fn detail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

impl ProviderError {
    /// Short machine-readable kind (`wrong_key`, `rate_limited`, …) for the UI's translations.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderError::BadAddress(_) => "bad_address",
            ProviderError::WrongKey { .. } => "wrong_key",
            ProviderError::NoCredit { .. } => "no_credit",
            ProviderError::RateLimited { .. } => "rate_limited",
            ProviderError::ModelNotFound { .. } => "model_not_found",
            ProviderError::NotFound { .. } => "not_found",
            ProviderError::Unreachable { .. } => "unreachable",
            ProviderError::Timeout { .. } => "timeout",
            ProviderError::Cut { .. } => "cut",
            ProviderError::Server { .. } => "server",
            ProviderError::BadReply { .. } => "bad_reply",
            ProviderError::Setup(_) => "setup",
        }
    }
}
