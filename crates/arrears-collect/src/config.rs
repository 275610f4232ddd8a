//! Loading configuration files: TOML errors and our own checks both name the line.

/// The strategy shipped with Arrears.
pub const DEFAULT_STRATEGY: &str = include_str!("../config/strategy.toml");
/// The strategy shipped for the US installment product.
pub const US_STRATEGY: &str = include_str!("../config/strategy-us.toml");
/// The templates shipped with Arrears.
pub const DEFAULT_TEMPLATES: &str = include_str!("../config/templates.toml");

/// A configuration file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: line {line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl ConfigError {
    /// An error at a byte offset of `text`.
    pub(crate) fn at(file: &str, text: &str, offset: usize, message: impl Into<String>) -> ConfigError {
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        ConfigError { file: file.to_owned(), line, message: message.into() }
    }

    pub(crate) fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            ConfigError::at(file, text, offset, e.message())
        })
    }
}
