-- Arrears schema, version 9, for PostgreSQL: keys for the lender's other systems to call the
-- JSON API. A key is 256 random bits handed out once; only its SHA-256 is kept. A revoked key
-- stays listed (who made it, who revoked it) and no longer opens anything.

CREATE TABLE api_keys (
    name          TEXT PRIMARY KEY,
    token_sha256  TEXT NOT NULL UNIQUE,
    created_by    TEXT NOT NULL,
    -- seconds since 1970 (UTC), by the server's clock
    created_at    BIGINT NOT NULL,
    revoked_by    TEXT,
    revoked_at    BIGINT
);
