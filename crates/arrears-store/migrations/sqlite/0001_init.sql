-- Arrears schema, version 1, for SQLite. Amounts are integer minor units; dates are ISO
-- YYYY-MM-DD text; JSON columns hold the pure core's serialised values.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE products (
    code  TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    rules TEXT NOT NULL
);

CREATE TABLE loans (
    seq                   INTEGER PRIMARY KEY,
    loan_no               TEXT NOT NULL UNIQUE,
    borrower_id           TEXT NOT NULL,
    product               TEXT NOT NULL REFERENCES products(code),
    currency              TEXT NOT NULL,
    principal             INTEGER NOT NULL CHECK (principal > 0),
    start_date            TEXT NOT NULL,
    terms                 TEXT NOT NULL,
    state                 TEXT NOT NULL,
    status                TEXT NOT NULL,
    as_of                 TEXT NOT NULL,
    bucket                TEXT NOT NULL,
    class                 TEXT NOT NULL,
    oldest_unpaid_due     TEXT,
    principal_outstanding INTEGER NOT NULL CHECK (principal_outstanding >= 0),
    total_outstanding     INTEGER NOT NULL CHECK (total_outstanding >= 0),
    next_event            TEXT,
    version               INTEGER NOT NULL,
    ledger_rows           INTEGER NOT NULL,
    history_rows          INTEGER NOT NULL
);
CREATE INDEX loans_next_event ON loans (next_event, seq) WHERE next_event IS NOT NULL;

CREATE TABLE payments (
    id             INTEGER PRIMARY KEY,
    idem_key       TEXT NOT NULL UNIQUE,
    loan_seq       INTEGER NOT NULL REFERENCES loans(seq),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    value_date     TEXT NOT NULL,
    status         TEXT NOT NULL,
    allocation     TEXT NOT NULL,
    reversal_key   TEXT UNIQUE
);
CREATE INDEX payments_loan ON payments (loan_seq, id);

CREATE TABLE ledger_entries (
    loan_seq   INTEGER NOT NULL REFERENCES loans(seq),
    entry_no   INTEGER NOT NULL,
    entry_date TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reference  TEXT NOT NULL,
    PRIMARY KEY (loan_seq, entry_no)
);

CREATE TABLE ledger_lines (
    loan_seq INTEGER NOT NULL,
    entry_no INTEGER NOT NULL,
    line_no  INTEGER NOT NULL,
    account  TEXT NOT NULL,
    amount   INTEGER NOT NULL,
    PRIMARY KEY (loan_seq, entry_no, line_no),
    FOREIGN KEY (loan_seq, entry_no) REFERENCES ledger_entries (loan_seq, entry_no)
);

CREATE TABLE status_history (
    loan_seq    INTEGER NOT NULL REFERENCES loans(seq),
    row_no      INTEGER NOT NULL,
    change_date TEXT NOT NULL,
    dpd         INTEGER NOT NULL,
    from_bucket TEXT NOT NULL,
    to_bucket   TEXT NOT NULL,
    from_class  TEXT NOT NULL,
    to_class    TEXT NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (loan_seq, row_no)
);

CREATE TABLE eod_runs (
    business_date TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    loans_touched INTEGER NOT NULL,
    events        INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    business_date TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    detail        TEXT NOT NULL
);
