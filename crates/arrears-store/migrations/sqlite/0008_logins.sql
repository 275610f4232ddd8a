-- Arrears schema, version 8, for SQLite: logins for the web application. A member of staff may have a
-- password (its Argon2id hash in PHC form, never the password); a session is found by the
-- SHA-256 of the random token its cookie holds (never the token), carries its own CSRF token,
-- and ends when it expires or its holder logs out.

ALTER TABLE staff ADD COLUMN password_hash TEXT;

CREATE TABLE sessions (
    token_sha256   TEXT PRIMARY KEY,
    -- 'staff' (subject is the staff name) or 'borrower' (subject is the borrower id)
    kind           TEXT NOT NULL CHECK (kind IN ('staff', 'borrower')),
    subject        TEXT NOT NULL,
    role           TEXT NOT NULL,
    csrf           TEXT NOT NULL,
    -- seconds since 1970 (UTC), by the server's clock
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- One-time login codes for borrowers, sent by SMS to the phone on file: only the SHA-256 of
-- phone and code is kept; a code expires, is used once, and dies after five wrong tries.
CREATE TABLE login_codes (
    id           INTEGER PRIMARY KEY,
    phone        TEXT NOT NULL,
    borrower_id  TEXT NOT NULL,
    code_sha256  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    used         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX login_codes_phone ON login_codes (phone, created_at);
-- The portal finds a borrower by phone, and their loans by borrower.
CREATE INDEX borrowers_phone ON borrowers (phone);
CREATE INDEX loans_borrower ON loans (borrower_id);
