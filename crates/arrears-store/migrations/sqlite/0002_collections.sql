-- Arrears schema, version 2, for SQLite: borrowers and how to reach them, the collection
-- reference date of each loan, the communication record (append-only), the outbox, agents'
-- call tasks and promises to pay. Times are minutes since 1970-01-01 00:00 UTC (`*_utc`,
-- `send_*`, `window_*`, `not_before`, `next_try`) or the borrower's wall clock as text.

CREATE TABLE borrowers (
    borrower_id        TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    language           TEXT NOT NULL CHECK (language IN ('zh', 'en')),
    utc_offset_minutes INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -720 AND 840),
    phone              TEXT,
    email              TEXT,
    emergency_name     TEXT,
    emergency_phone    TEXT,
    opted_out          TEXT NOT NULL DEFAULT '',
    segment            TEXT
);

-- The due date a collection strategy counts from (the oldest installment not fully paid).
ALTER TABLE loans ADD COLUMN reference_due TEXT;
CREATE INDEX loans_reference_due ON loans (reference_due, seq) WHERE reference_due IS NOT NULL;

CREATE TABLE collection_flags (
    loan_seq           INTEGER PRIMARY KEY REFERENCES loans(seq),
    dispute_open_since TEXT,
    unreachable_since  TEXT
);

-- Every contact attempted or blocked, with what it said and the policy decision. Never
-- updated or deleted (triggers below); what became of a contact is appended to contact_events.
CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    contact_key   TEXT NOT NULL UNIQUE,
    loan_seq      INTEGER NOT NULL REFERENCES loans(seq),
    borrower_id   TEXT NOT NULL,
    business_date TEXT NOT NULL,
    at_utc        INTEGER NOT NULL,
    at_local      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    party         TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    template      TEXT NOT NULL,
    strategy      TEXT NOT NULL,
    arm           TEXT NOT NULL,
    step_day      INTEGER,
    collector     TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    content       TEXT NOT NULL,
    facts         TEXT NOT NULL,
    flags         TEXT NOT NULL,
    pack          TEXT NOT NULL,
    decision      TEXT NOT NULL CHECK (decision IN ('allowed', 'blocked')),
    rule          TEXT,
    reason        TEXT,
    retry_at      TEXT
);
CREATE INDEX contacts_loan ON contacts (loan_seq, at_utc);
CREATE INDEX contacts_borrower ON contacts (borrower_id, at_utc);
CREATE INDEX contacts_business_date ON contacts (business_date);
CREATE TRIGGER contacts_no_update BEFORE UPDATE ON contacts BEGIN SELECT RAISE(ABORT, 'contacts are append-only'); END;
CREATE TRIGGER contacts_no_delete BEFORE DELETE ON contacts BEGIN SELECT RAISE(ABORT, 'contacts are append-only'); END;

CREATE TABLE contact_events (
    id          INTEGER PRIMARY KEY,
    contact_key TEXT NOT NULL REFERENCES contacts(contact_key),
    event       TEXT NOT NULL,
    at_utc      INTEGER NOT NULL,
    detail      TEXT NOT NULL,
    UNIQUE (contact_key, event)
);
CREATE TRIGGER contact_events_no_update BEFORE UPDATE ON contact_events BEGIN SELECT RAISE(ABORT, 'contact events are append-only'); END;
CREATE TRIGGER contact_events_no_delete BEFORE DELETE ON contact_events BEGIN SELECT RAISE(ABORT, 'contact events are append-only'); END;

-- Messages committed with the contact that decided them, delivered at least once.
CREATE TABLE outbox (
    contact_key TEXT PRIMARY KEY REFERENCES contacts(contact_key),
    loan_seq    INTEGER NOT NULL REFERENCES loans(seq),
    channel     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    send_after  INTEGER NOT NULL,
    send_before INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'expired', 'withdrawn')),
    attempts    INTEGER NOT NULL,
    next_try    INTEGER NOT NULL,
    provider_id TEXT,
    last_error  TEXT
);
CREATE INDEX outbox_pending ON outbox (next_try) WHERE status = 'pending';
CREATE INDEX outbox_provider ON outbox (provider_id) WHERE provider_id IS NOT NULL;

CREATE TABLE agents (
    agent_id  TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    daily_cap INTEGER NOT NULL CHECK (daily_cap > 0),
    desk      TEXT NOT NULL,
    active    INTEGER NOT NULL
);

CREATE TABLE call_tasks (
    id            INTEGER PRIMARY KEY,
    task_key      TEXT NOT NULL UNIQUE,
    loan_seq      INTEGER NOT NULL REFERENCES loans(seq),
    borrower_id   TEXT NOT NULL,
    business_date TEXT NOT NULL,
    desk          TEXT NOT NULL,
    strategy      TEXT NOT NULL,
    arm           TEXT NOT NULL,
    step_day      INTEGER NOT NULL,
    template      TEXT NOT NULL,
    script        TEXT NOT NULL,
    amount_due    INTEGER NOT NULL,
    dpd           INTEGER NOT NULL,
    priority      INTEGER NOT NULL,
    window_from   INTEGER NOT NULL,
    window_until  INTEGER NOT NULL,
    not_before    INTEGER NOT NULL,
    assigned_to   TEXT REFERENCES agents(agent_id),
    status        TEXT NOT NULL CHECK (status IN ('open', 'done', 'expired', 'cancelled')),
    outcome       TEXT,
    attempts      INTEGER NOT NULL
);
CREATE INDEX call_tasks_open ON call_tasks (desk, priority DESC, id) WHERE status = 'open';
CREATE INDEX call_tasks_loan ON call_tasks (loan_seq);

CREATE TABLE promises (
    id            INTEGER PRIMARY KEY,
    loan_seq      INTEGER NOT NULL REFERENCES loans(seq),
    contact_key   TEXT NOT NULL UNIQUE REFERENCES contacts(contact_key),
    agent_id      TEXT NOT NULL,
    made_on       TEXT NOT NULL,
    promised_date TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    status        TEXT NOT NULL CHECK (status IN ('open', 'kept', 'broken')),
    resolved_on   TEXT
);
CREATE INDEX promises_open ON promises (promised_date) WHERE status = 'open';
CREATE INDEX promises_loan ON promises (loan_seq);

CREATE TABLE collect_runs (
    business_date TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    loans         INTEGER NOT NULL,
    allowed       INTEGER NOT NULL,
    blocked       INTEGER NOT NULL
);
