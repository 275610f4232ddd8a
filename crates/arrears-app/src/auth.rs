//! Logins for the web application: staff passwords, hashed with Argon2id (never stored or
//! logged as typed), and sessions. A session's token is 256 random bits handed to the browser
//! once; the store keeps only its SHA-256, with the session's own CSRF token, its holder and
//! role, and when it expires; expired sessions and day-old login codes are swept at each login
//! (and hourly by the server).
//! Time here is the server's clock in seconds, given by the caller: sessions are not business
//! events.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use arrears_core::Date;
use arrears_legal::bundle::sha256;
use arrears_store::{SessionRow, Store};
use ring::rand::SecureRandom;

use crate::AppError;

/// How long a staff session lasts: a working day.
pub const STAFF_SESSION_SECONDS: i64 = 8 * 3600;
/// Passwords are at least this long (NIST SP 800-63B asks for 8; staff reach personal data).
pub const MIN_PASSWORD: usize = 12;

/// A session just made: the token goes to the browser's cookie, and is not kept.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub row: SessionRow,
}

/// `n` random bytes as hex.
pub fn random_hex(n: usize) -> Result<String, AppError> {
    let mut bytes = vec![0u8; n];
    ring::rand::SystemRandom::new().fill(&mut bytes).map_err(|_| AppError::Io("no randomness".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn hash(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut salt).map_err(|_| AppError::Io("no randomness".into()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Io(e.to_string()))?;
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| AppError::Io(e.to_string()))?.to_string())
}

/// Sets the password of a member of staff (already on the staff list) and ends their
/// sessions; audited without the password.
pub fn set_password(store: &mut Store, name: &str, password: &str, by: &str) -> Result<(), AppError> {
    let length = password.chars().count();
    if !(MIN_PASSWORD..=200).contains(&length) {
        return Err(AppError::invalid("password", format!("{MIN_PASSWORD} to 200 characters ({length} given)")));
    }
    let hashed = hash(password)?;
    store.transaction(|tx| {
        if !tx.set_password_hash(name, &hashed)? {
            return Err(AppError::NotFound { what: "member of staff", id: name.to_owned() });
        }
        tx.end_sessions_of("staff", name)?;
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, by, "password", name, "{}")?;
        Ok(())
    })
}

/// Takes away a member of staff's password (they can no longer log in until an admin sets
/// a new one) and ends their sessions; audited.
pub fn disable_login(store: &mut Store, name: &str, by: &str) -> Result<(), AppError> {
    store.transaction(|tx| {
        if !tx.clear_password_hash(name)? {
            return Err(AppError::NotFound { what: "member of staff", id: name.to_owned() });
        }
        tx.end_sessions_of("staff", name)?;
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, by, "login-disabled", name, "{}")?;
        Ok(())
    })
}

/// A hash of a password no one has, checked when the name is unknown so that a wrong name
/// takes as long as a wrong password.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("a password that is never set").unwrap_or_default())
}

/// A new staff session if `name` has this password; `None` for an unknown name, no password
/// set, or a wrong one (the caller cannot tell which, nor can anyone timing it).
pub fn login_staff(store: &mut Store, name: &str, password: &str, now: i64) -> Result<Option<NewSession>, AppError> {
    let found = store.read(|tx| Ok::<_, AppError>(tx.staff_login(name)?))?;
    let (role, stored) = match found {
        Some((role, Some(stored))) => (Some(role), stored),
        _ => (None, decoy().to_owned()),
    };
    let good = PasswordHash::new(&stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
    let Some(role) = role.filter(|_| good) else { return Ok(None) };
    let token = random_hex(32)?;
    let row = SessionRow {
        token_sha256: sha256(token.as_bytes()),
        kind: "staff".into(),
        subject: name.to_owned(),
        role,
        csrf: random_hex(32)?,
        created_at: now,
        expires_at: now + STAFF_SESSION_SECONDS,
    };
    store.transaction(|tx| {
        tx.sweep_logins(now)?;
        tx.insert_session(&row)?;
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, name, "login", name, "{}")?;
        Ok::<_, AppError>(())
    })?;
    Ok(Some(NewSession { token, row }))
}

/// The live session whose cookie holds `token`.
pub fn session(store: &mut Store, token: &str, now: i64) -> Result<Option<SessionRow>, AppError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(store.read(|tx| tx.session(&sha256(token.as_bytes()), now))?)
}

/// Ends the session whose cookie holds `token` (and sweeps the expired ones).
pub fn logout(store: &mut Store, token: &str, now: i64) -> Result<(), AppError> {
    Ok(store.transaction(|tx| tx.end_session(&sha256(token.as_bytes()), now))?)
}

/// How long a borrower's session lasts.
pub const BORROWER_SESSION_SECONDS: i64 = 30 * 60;
/// How long a login code lives, and how many tries it takes.
pub const CODE_SECONDS: i64 = 5 * 60;
pub const CODE_TRIES: i64 = 5;

/// A login code to send by SMS.
#[derive(Debug, Clone)]
pub struct CodeToSend {
    pub borrower_id: String,
    pub phone: String,
    pub code: String,
    /// The borrower's language on file (`zh` or `en`), which the text is written in.
    pub language: String,
}

/// A phone number as typed, as the store keeps it: spaces, dashes and brackets dropped.
pub fn normalize_phone(text: &str) -> Option<String> {
    let phone: String = text.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let digits = phone.strip_prefix('+').unwrap_or(&phone);
    (digits.len() >= 6 && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(phone)
}

fn code_hash(phone: &str, code: &str) -> String {
    sha256(format!("{phone}:{code}").as_bytes())
}

/// A six-digit code, uniform over 000000–999999.
fn six_digits() -> Result<String, AppError> {
    loop {
        let mut bytes = [0u8; 4];
        ring::rand::SystemRandom::new().fill(&mut bytes).map_err(|_| AppError::Io("no randomness".into()))?;
        let n = u32::from_be_bytes(bytes);
        // Reject the top of the range so that every code is equally likely.
        if n < 4_294_000_000 {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

/// A login code for the borrower whose phone on file is `phone`: `None` when no single
/// borrower has it, or when one was sent in the last minute or five in the last hour (the
/// caller answers the same either way, so the page tells no one whose phone is on file).
pub fn request_code(store: &mut Store, phone: &str, now: i64) -> Result<Option<CodeToSend>, AppError> {
    let Some(phone) = normalize_phone(phone) else { return Err(AppError::invalid("phone", "not a phone number")) };
    let code = six_digits()?;
    store.transaction(|tx| {
        let found = tx.borrowers_with_phone(&phone)?;
        let [borrower_id] = found.as_slice() else { return Ok(None) };
        let (sent, last) = tx.codes_sent(&phone, now - 3600)?;
        if sent >= 5 || last.is_some_and(|t| now - t < 60) {
            return Ok(None);
        }
        tx.sweep_logins(now)?;
        tx.insert_login_code(&phone, borrower_id, &code_hash(&phone, &code), now, now + CODE_SECONDS)?;
        let language = tx.borrower(borrower_id)?.map_or_else(|| "zh".to_owned(), |b| b.language);
        Ok(Some(CodeToSend { borrower_id: borrower_id.clone(), phone: phone.clone(), code: code.clone(), language }))
    })
}

/// A borrower's session for the code sent to `phone`; `None` for a wrong, used, expired or
/// exhausted code (each wrong try counts against it).
pub fn login_borrower(store: &mut Store, phone: &str, code: &str, now: i64) -> Result<Option<NewSession>, AppError> {
    let Some(phone) = normalize_phone(phone) else { return Ok(None) };
    let token = random_hex(32)?;
    let csrf = random_hex(32)?;
    store.transaction(|tx| {
        let Some(live) = tx.live_login_code(&phone, now)? else { return Ok(None) };
        if live.attempts >= CODE_TRIES {
            return Ok(None);
        }
        if live.code_sha256 != code_hash(&phone, code.trim()) {
            tx.spend_login_code(live.id, false)?;
            return Ok(None);
        }
        tx.spend_login_code(live.id, true)?;
        let row = SessionRow {
            token_sha256: sha256(token.as_bytes()),
            kind: "borrower".into(),
            subject: live.borrower_id.clone(),
            role: "borrower".into(),
            csrf: csrf.clone(),
            created_at: now,
            expires_at: now + BORROWER_SESSION_SECONDS,
        };
        tx.insert_session(&row)?;
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, &live.borrower_id, "login", &live.borrower_id, "{\"by\":\"sms-code\"}")?;
        Ok(Some(NewSession { token: token.clone(), row }))
    })
}

/// A new key for the JSON API, named for the system that will hold it (`core-banking`), made
/// by an admin; the key is returned once and only its hash kept.
pub fn create_api_key(store: &mut Store, name: &str, by: &str, now: i64) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(AppError::invalid("name", format!("`{name}`: 1 to 64 letters, digits, `-` or `_`")));
    }
    let token = random_hex(32)?;
    store.transaction(|tx| {
        must_be_admin(tx, by)?;
        if !tx.insert_api_key(name, &sha256(token.as_bytes()), by, now)? {
            return Err(AppError::invalid("name", format!("a key named `{name}` exists already (revoked keys keep their name)")));
        }
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, by, "api-key-create", name, "{}")?;
        Ok(())
    })?;
    Ok(token)
}

/// Revokes the key `name`: it opens nothing from now on.
pub fn revoke_api_key(store: &mut Store, name: &str, by: &str, now: i64) -> Result<(), AppError> {
    store.transaction(|tx| {
        must_be_admin(tx, by)?;
        if !tx.revoke_api_key(name, by, now)? {
            return Err(AppError::NotFound { what: "live API key", id: name.to_owned() });
        }
        let date = tx.business_date()?.unwrap_or(Date::from_days_since_epoch(0));
        tx.audit(date, by, "api-key-revoke", name, "{}")?;
        Ok(())
    })
}

/// The name of the system holding the live API key `token`.
pub fn api_client(store: &mut Store, token: &str) -> Result<Option<String>, AppError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(store.read(|tx| tx.api_key_name(&sha256(token.as_bytes())))?)
}

fn must_be_admin(tx: &mut arrears_store::Tx<'_>, by: &str) -> Result<(), AppError> {
    match tx.staff_role(by)? {
        Some(role) if role == "admin" => Ok(()),
        Some(role) => Err(AppError::invalid("by", format!("{by} is {role}; API keys are managed by an admin"))),
        None => Err(AppError::invalid("by", format!("{by} is not on the staff list (arrears staff add)"))),
    }
}
