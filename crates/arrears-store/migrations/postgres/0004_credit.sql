-- Arrears schema, version 4, for PostgreSQL: the write-off register, and the identities US
-- furnishing needs. A loan written off keeps its claim (the state's outstanding amounts, the
-- ledger's written-off memo accounts); the register says when, on what basis (the batch's rule
-- or a person's decision), why, who, and what was owed then. Never changed: a write-off is not
-- taken back.

CREATE TABLE write_offs (
    loan_seq       BIGINT PRIMARY KEY REFERENCES loans(seq),
    written_off_on TEXT NOT NULL,
    basis          TEXT NOT NULL CHECK (basis IN ('rule', 'decision')),
    reason         TEXT NOT NULL,
    decided_by     TEXT NOT NULL,
    -- a decided write-off: the supervisor who approved it (maker-checker); none for the rule
    approved_by    TEXT,
    -- what was owed on the day, by component (minor units)
    principal      BIGINT NOT NULL,
    interest       BIGINT NOT NULL,
    penalty        BIGINT NOT NULL,
    compound       BIGINT NOT NULL,
    fee            BIGINT NOT NULL,
    CHECK (basis = 'rule' OR approved_by IS NOT NULL)
);
CREATE INDEX write_offs_date ON write_offs (written_off_on);
CREATE TRIGGER write_offs_append_only BEFORE UPDATE OR DELETE ON write_offs FOR EACH ROW EXECUTE FUNCTION arrears_append_only();

-- Changes to what was written off: a payment made before the write-off reversed, or one
-- received before it posted late, changes the claim of that day. Never changed either.
CREATE TABLE write_off_amendments (
    loan_seq     BIGINT NOT NULL REFERENCES write_offs(loan_seq),
    amendment_no BIGINT NOT NULL,
    amended_on   TEXT NOT NULL,
    reason       TEXT NOT NULL,
    principal    BIGINT NOT NULL,
    interest     BIGINT NOT NULL,
    penalty      BIGINT NOT NULL,
    compound     BIGINT NOT NULL,
    fee          BIGINT NOT NULL,
    PRIMARY KEY (loan_seq, amendment_no)
);
CREATE TRIGGER write_off_amendments_append_only BEFORE UPDATE OR DELETE ON write_off_amendments FOR EACH ROW EXECUTE FUNCTION arrears_append_only();

-- The identity a US credit bureau matches an account on (the Metro 2 base segment's consumer
-- fields), kept apart from how to reach the borrower and read only by US furnishing.
CREATE TABLE identities (
    borrower_id TEXT PRIMARY KEY,
    surname     TEXT NOT NULL,
    first_name  TEXT NOT NULL,
    ssn         TEXT NOT NULL CHECK (length(ssn) = 9),
    birth_date  TEXT NOT NULL,
    address     TEXT NOT NULL,
    city        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (length(state) = 2),
    zip         TEXT NOT NULL
);

-- The write-off rule's nightly selection: active loans by how long they have been unpaid.
CREATE INDEX loans_overdue ON loans (oldest_unpaid_due) WHERE status = 'active';

-- A book kept before write-off existed keeps its loans on the books until the operator sets
-- the rule (arrears writeoff … / meta writeoff.after_days.cny and .usd); a new book starts with
-- the defaults (180 days for yuan loans, 120 for dollar loans).
INSERT INTO meta (key, value) SELECT 'writeoff.after_days.cny', '0' WHERE EXISTS (SELECT 1 FROM loans);
INSERT INTO meta (key, value) SELECT 'writeoff.after_days.usd', '0' WHERE EXISTS (SELECT 1 FROM loans);
