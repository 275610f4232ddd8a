-- Arrears schema, version 5, for SQLite: hardship relief. A request moves from submitted through
-- review (a proposal by one person, approved or rejected by another; a supervisor above the
-- threshold) to the borrower's acceptance, when the relief is made on the loan; a plan is then
-- active until completed or broken. Every step is also in the audit log.

CREATE TABLE hardship_requests (
    id               INTEGER PRIMARY KEY,
    loan_seq         INTEGER NOT NULL REFERENCES loans(seq),
    filed_on         TEXT NOT NULL,
    filed_by         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    reason           TEXT NOT NULL CHECK (reason IN ('job-loss', 'illness', 'business-failure', 'family-emergency', 'other')),
    details          TEXT NOT NULL,
    -- what the borrower declared, a month (minor units)
    monthly_income   INTEGER NOT NULL CHECK (monthly_income >= 0),
    monthly_expenses INTEGER NOT NULL CHECK (monthly_expenses >= 0),
    -- references to evidence files, one per line
    evidence         TEXT NOT NULL,
    wanted           TEXT NOT NULL CHECK (wanted IN ('extension', 'plan', 'restructure', 'settlement')),
    status           TEXT NOT NULL CHECK (status IN ('submitted', 'under-review', 'approved', 'rejected', 'active', 'completed', 'broken')),
    -- the relief proposed (JSON), by whom and when; the settlement amount agreed, if any
    proposal         TEXT,
    settle_amount    INTEGER,
    proposed_by      TEXT,
    proposed_on      TEXT,
    decided_by       TEXT,
    decided_on       TEXT,
    decision_note    TEXT,
    accepted_on      TEXT,
    ended_on         TEXT,
    version          INTEGER NOT NULL
);
CREATE INDEX hardship_requests_loan ON hardship_requests (loan_seq);
CREATE INDEX hardship_requests_status ON hardship_requests (status);

-- Staff and their roles, for the maker-checker rule.
CREATE TABLE staff (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'hardship-officer', 'legal-officer', 'compliance-officer', 'admin'))
);

-- While a plan is honoured collection stops (the policy packs' plan rule).
ALTER TABLE collection_flags ADD COLUMN plan_since TEXT;
