//! The few operations the repositories need from a database connection, implemented once for
//! SQLite and once for PostgreSQL. SQL is written with `$1`-style parameters for both.

use std::collections::HashMap;

use crate::StoreError;

/// A value crossing into or out of SQL: only the primitive types both backends share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
    /// A blob (SQLite) or bytea (PostgreSQL): the documents' PDFs.
    Bytes(Vec<u8>),
    Null,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Bytes(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// One result row.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

impl Row {
    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        match &self.0[i] {
            Value::Int(v) => Ok(*v),
            other => Err(StoreError::Corrupt(format!("column {i}: expected an integer, found {other:?}"))),
        }
    }
    pub fn text(&self, i: usize) -> Result<&str, StoreError> {
        match &self.0[i] {
            Value::Text(v) => Ok(v),
            other => Err(StoreError::Corrupt(format!("column {i}: expected text, found {other:?}"))),
        }
    }
    pub fn bytes(&self, i: usize) -> Result<&[u8], StoreError> {
        match &self.0[i] {
            Value::Bytes(v) => Ok(v),
            other => Err(StoreError::Corrupt(format!("column {i}: expected bytes, found {other:?}"))),
        }
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
        match &self.0[i] {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match &self.0[i] {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }
}

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub trait Conn: Send {
    fn backend(&self) -> Backend;
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Runs statements without parameters (migrations, transaction control).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Starts a write transaction: on SQLite it takes the write lock at once, so two writers
    /// queue instead of failing on an upgrade.
    fn begin(&mut self) -> Result<(), StoreError>;
}

// ---------------------------------------------------------------------------------------------
// SQLite

pub struct SqliteConn {
    conn: rusqlite::Connection,
    translated: HashMap<String, String>,
}

impl SqliteConn {
    /// Opens the database file at `path`; creates it only when `create` is set.
    pub fn open(path: &str, create: bool) -> Result<SqliteConn, StoreError> {
        use rusqlite::OpenFlags;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        } else if path != ":memory:" && !std::path::Path::new(path).exists() {
            return Err(StoreError::NotInitialised);
        }
        let conn =
            rusqlite::Connection::open_with_flags(path, flags).map_err(|e| StoreError::Connect(format!("sqlite {path}: {e}")))?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(sqlite_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; \
             PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=16384;",
        )
        .map_err(sqlite_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteConn { conn, translated: HashMap::new() })
    }

    /// `$1` becomes `?1`: SQLite numbers parameters that way.
    fn sql<'a>(&'a mut self, sql: &str) -> &'a str {
        self.translated.entry(sql.to_owned()).or_insert_with(|| {
            let mut out = String::with_capacity(sql.len());
            let mut chars = sql.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            out
        })
    }
}

impl std::fmt::Debug for SqliteConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteConn")
    }
}

fn sqlite_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, msg) = &e {
        if code.code == rusqlite::ErrorCode::ConstraintViolation {
            return StoreError::Conflict(msg.clone().unwrap_or_else(|| e.to_string()));
        }
    }
    StoreError::Database(e.to_string())
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Bytes(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

impl Conn for SqliteConn {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let sql = self.sql(sql).to_owned();
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sqlite_err)?;
        stmt.execute(rusqlite::params_from_iter(params.iter())).map(|n| n as u64).map_err(sqlite_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let sql = self.sql(sql).to_owned();
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sqlite_err)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter())).map_err(sqlite_err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sqlite_err)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(match row.get_ref(i).map_err(sqlite_err)? {
                    rusqlite::types::ValueRef::Null => Value::Null,
                    rusqlite::types::ValueRef::Integer(v) => Value::Int(v),
                    rusqlite::types::ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    rusqlite::types::ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                    other => return Err(StoreError::Corrupt(format!("unexpected SQLite value {other:?}"))),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(sqlite_err)
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.batch("BEGIN IMMEDIATE")
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

pub struct PgConn {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgConn")
    }
}

impl PgConn {
    /// Connects to `url`; a `schema=NAME` query parameter selects (and creates) a schema, which
    /// lets many test databases share one server.
    pub fn open(url: &str) -> Result<PgConn, StoreError> {
        let (base, schema) = split_schema(url);
        let client = postgres::Client::connect(&base, postgres::NoTls)
            .map_err(|e| StoreError::Connect(format!("postgres {}: {e}", redact(&base))))?;
        let mut conn = PgConn { client, statements: HashMap::new() };
        if let Some(schema) = schema {
            if !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(StoreError::Connect(format!("schema `{schema}`: use letters, digits and _ only")));
            }
            conn.batch(&format!("CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"))?;
        }
        Ok(conn)
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(pg_err)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None) };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.strip_prefix("schema=") {
            Some(s) => {
                schema = Some(s.to_owned());
                false
            }
            None => true,
        })
        .collect();
    let base = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
    (base, schema)
}

/// A URL without its password, for error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn pg_err(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if *db.code() == postgres::error::SqlState::UNIQUE_VIOLATION || *db.code() == postgres::error::SqlState::CHECK_VIOLATION {
            return StoreError::Conflict(db.message().to_owned());
        }
        return StoreError::Database(format!("{}: {}", db.code().code(), db.message()));
    }
    StoreError::Database(e.to_string())
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bytes(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_ty: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl Conn for PgConn {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        self.client.execute(&stmt, &refs).map_err(pg_err)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        use postgres::types::Type;
        let stmt = self.statement(sql)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self.client.query(&stmt, &refs).map_err(pg_err)?;
        rows.iter()
            .map(|row| {
                let values = row
                    .columns()
                    .iter()
                    .enumerate()
                    .map(|(i, col)| {
                        let v = match *col.type_() {
                            Type::INT8 => row.try_get::<_, Option<i64>>(i).map(Value::from),
                            Type::INT4 => row.try_get::<_, Option<i32>>(i).map(|v| Value::from(v.map(i64::from))),
                            Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i).map(|v| v.map_or(Value::Null, Value::Bytes)),
                            Type::NUMERIC => {
                                return Err(StoreError::Corrupt("NUMERIC columns are not used; cast to BIGINT".into()))
                            }
                            _ => row.try_get::<_, Option<String>>(i).map(Value::from),
                        };
                        v.map_err(pg_err)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Row(values))
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(pg_err)
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.batch("BEGIN")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_parameter_is_split_off_the_url() {
        assert_eq!(split_schema("postgres://u@h/db?schema=t1"), ("postgres://u@h/db".into(), Some("t1".into())));
        assert_eq!(
            split_schema("postgres://u@h/db?sslmode=disable&schema=t1"),
            ("postgres://u@h/db?sslmode=disable".into(), Some("t1".into()))
        );
        assert_eq!(split_schema("postgres://u@h/db"), ("postgres://u@h/db".into(), None));
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact("postgres://user:secret@host/db"), "postgres://user:***@host/db");
        assert_eq!(redact("postgres://user@host/db"), "postgres://user@host/db");
    }
}
