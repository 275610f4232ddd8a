//! Queries of the web application's logins: staff passwords (their hashes) and sessions.

use arrears_core::Date;

use crate::{StoreError, Tx};

/// A session as stored: found by the SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_sha256: String,
    /// `staff` or `borrower`.
    pub kind: String,
    pub subject: String,
    pub role: String,
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Tx<'_> {
    /// Sets a member of staff's password hash; false if there is no such member.
    pub fn set_password_hash(&mut self, name: &str, hash: &str) -> Result<bool, StoreError> {
        let n = self.conn.execute("UPDATE staff SET password_hash = $2 WHERE name = $1", &[name.into(), hash.into()])?;
        Ok(n == 1)
    }

    /// Removes a member of staff's password hash; false if there is no such member.
    pub fn clear_password_hash(&mut self, name: &str) -> Result<bool, StoreError> {
        let n = self.conn.execute("UPDATE staff SET password_hash = NULL WHERE name = $1", &[name.into()])?;
        Ok(n == 1)
    }

    /// A member of staff's role and password hash (if one was set).
    pub fn staff_login(&mut self, name: &str) -> Result<Option<(String, Option<String>)>, StoreError> {
        let rows = self.conn.query("SELECT role, password_hash FROM staff WHERE name = $1", &[name.into()])?;
        rows.first().map(|r| Ok((r.text(0)?.to_owned(), r.opt_text(1)?.map(str::to_owned)))).transpose()
    }

    pub fn insert_session(&mut self, s: &SessionRow) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sessions (token_sha256, kind, subject, role, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                s.token_sha256.as_str().into(),
                s.kind.as_str().into(),
                s.subject.as_str().into(),
                s.role.as_str().into(),
                s.csrf.as_str().into(),
                s.created_at.into(),
                s.expires_at.into(),
            ],
        )?;
        Ok(())
    }

    /// The session with this token hash, if it has not expired at `now`.
    pub fn session(&mut self, token_sha256: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
        let rows = self.conn.query(
            "SELECT token_sha256, kind, subject, role, csrf, created_at, expires_at FROM sessions \
             WHERE token_sha256 = $1 AND expires_at > $2",
            &[token_sha256.into(), now.into()],
        )?;
        rows.first()
            .map(|r| {
                Ok(SessionRow {
                    token_sha256: r.text(0)?.to_owned(),
                    kind: r.text(1)?.to_owned(),
                    subject: r.text(2)?.to_owned(),
                    role: r.text(3)?.to_owned(),
                    csrf: r.text(4)?.to_owned(),
                    created_at: r.int(5)?,
                    expires_at: r.int(6)?,
                })
            })
            .transpose()
    }

    /// Ends a session, and every session expired by `now`.
    pub fn end_session(&mut self, token_sha256: &str, now: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE token_sha256 = $1 OR expires_at <= $2", &[token_sha256.into(), now.into()])?;
        Ok(())
    }

    /// Removes the sessions expired by `now` and the login codes older than a day.
    pub fn sweep_logins(&mut self, now: i64) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM sessions WHERE expires_at <= $1", &[now.into()])?;
        self.conn.execute("DELETE FROM login_codes WHERE created_at < $1", &[(now - 86_400).into()])?;
        Ok(())
    }

    /// Whether the agent `agent_id` has a call task on the loan that is open, or was planned on
    /// or after `since` (an agent's console shows only such loans).
    pub fn assigned_to_agent(&mut self, loan_seq: i64, agent_id: &str, since: Date) -> Result<bool, StoreError> {
        let rows = self.conn.query(
            "SELECT 1 FROM call_tasks WHERE loan_seq = $1 AND assigned_to = $2 AND (status = 'open' OR business_date >= $3) LIMIT 1",
            &[loan_seq.into(), agent_id.into(), since.to_string().into()],
        )?;
        Ok(!rows.is_empty())
    }

    /// Ends every session of a subject (a password changed, a role removed).
    pub fn end_sessions_of(&mut self, kind: &str, subject: &str) -> Result<u64, StoreError> {
        self.conn.execute("DELETE FROM sessions WHERE kind = $1 AND subject = $2", &[kind.into(), subject.into()])
    }
}

/// A borrower's login code as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCodeRow {
    pub id: i64,
    pub borrower_id: String,
    pub code_sha256: String,
    pub expires_at: i64,
    pub attempts: i64,
}

impl Tx<'_> {
    /// The borrowers whose phone on file is `phone`.
    pub fn borrowers_with_phone(&mut self, phone: &str) -> Result<Vec<String>, StoreError> {
        let rows = self.conn.query("SELECT borrower_id FROM borrowers WHERE phone = $1 ORDER BY borrower_id", &[phone.into()])?;
        rows.iter().map(|r| r.text(0).map(str::to_owned)).collect()
    }

    /// How many codes were sent to `phone` since `since`, and when the last one was.
    pub fn codes_sent(&mut self, phone: &str, since: i64) -> Result<(i64, Option<i64>), StoreError> {
        let rows = self.conn.query(
            "SELECT COUNT(*), MAX(created_at) FROM login_codes WHERE phone = $1 AND created_at >= $2",
            &[phone.into(), since.into()],
        )?;
        Ok((rows[0].int(0)?, rows[0].opt_int(1)?))
    }

    pub fn insert_login_code(
        &mut self,
        phone: &str,
        borrower_id: &str,
        code_sha256: &str,
        created_at: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO login_codes (phone, borrower_id, code_sha256, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[phone.into(), borrower_id.into(), code_sha256.into(), created_at.into(), expires_at.into()],
        )?;
        Ok(())
    }

    /// The newest code sent to `phone` that is unused and unexpired at `now`.
    pub fn live_login_code(&mut self, phone: &str, now: i64) -> Result<Option<LoginCodeRow>, StoreError> {
        let rows = self.conn.query(
            "SELECT id, borrower_id, code_sha256, expires_at, attempts FROM login_codes \
             WHERE phone = $1 AND used = 0 AND expires_at > $2 ORDER BY created_at DESC, id DESC LIMIT 1",
            &[phone.into(), now.into()],
        )?;
        rows.first()
            .map(|r| {
                Ok(LoginCodeRow {
                    id: r.int(0)?,
                    borrower_id: r.text(1)?.to_owned(),
                    code_sha256: r.text(2)?.to_owned(),
                    expires_at: r.int(3)?,
                    attempts: r.int(4)?,
                })
            })
            .transpose()
    }

    /// Counts a wrong try at a code, or marks it used.
    pub fn spend_login_code(&mut self, id: i64, used: bool) -> Result<(), StoreError> {
        let sql = if used {
            "UPDATE login_codes SET used = 1 WHERE id = $1"
        } else {
            "UPDATE login_codes SET attempts = attempts + 1 WHERE id = $1"
        };
        self.conn.execute(sql, &[id.into()])?;
        Ok(())
    }
}

/// A key of the JSON API as stored (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_by: Option<String>,
    pub revoked_at: Option<i64>,
}

impl Tx<'_> {
    /// Adds a key; false if the name is taken (revoked or not).
    pub fn insert_api_key(&mut self, name: &str, token_sha256: &str, by: &str, now: i64) -> Result<bool, StoreError> {
        if !self.conn.query("SELECT 1 FROM api_keys WHERE name = $1", &[name.into()])?.is_empty() {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT INTO api_keys (name, token_sha256, created_by, created_at) VALUES ($1, $2, $3, $4)",
            &[name.into(), token_sha256.into(), by.into(), now.into()],
        )?;
        Ok(true)
    }

    /// The name of the live (not revoked) key with this hash.
    pub fn api_key_name(&mut self, token_sha256: &str) -> Result<Option<String>, StoreError> {
        let rows = self
            .conn
            .query("SELECT name FROM api_keys WHERE token_sha256 = $1 AND revoked_at IS NULL", &[token_sha256.into()])?;
        rows.first().map(|r| r.text(0).map(str::to_owned)).transpose()
    }

    /// Revokes a live key; false if there is no live key of that name.
    pub fn revoke_api_key(&mut self, name: &str, by: &str, now: i64) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE api_keys SET revoked_by = $2, revoked_at = $3 WHERE name = $1 AND revoked_at IS NULL",
            &[name.into(), by.into(), now.into()],
        )?;
        Ok(n == 1)
    }

    pub fn api_keys(&mut self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let rows =
            self.conn.query("SELECT name, created_by, created_at, revoked_by, revoked_at FROM api_keys ORDER BY name", &[])?;
        rows.iter()
            .map(|r| {
                Ok(ApiKeyRow {
                    name: r.text(0)?.to_owned(),
                    created_by: r.text(1)?.to_owned(),
                    created_at: r.int(2)?,
                    revoked_by: r.opt_text(3)?.map(str::to_owned),
                    revoked_at: r.opt_int(4)?,
                })
            })
            .collect()
    }
}

impl Tx<'_> {
    /// The open call tasks on a loan assigned to the agent `agent_id`: what they may dial.
    pub fn open_tasks_for(&mut self, loan_seq: i64, agent_id: &str) -> Result<Vec<i64>, StoreError> {
        let rows = self.conn.query(
            "SELECT id FROM call_tasks WHERE loan_seq = $1 AND assigned_to = $2 AND status = 'open' ORDER BY id",
            &[loan_seq.into(), agent_id.into()],
        )?;
        rows.iter().map(|r| r.int(0)).collect()
    }
}
