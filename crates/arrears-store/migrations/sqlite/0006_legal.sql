-- Arrears schema, version 6, for SQLite: legal cases. A case moves forward through its stages
-- (candidate, demand letter, filed, mediation, judgment, enforcement, closed), each step dated,
-- by whom, with the court and case number once filed; the steps are never changed.

CREATE TABLE legal_cases (
    id        INTEGER PRIMARY KEY,
    loan_seq  INTEGER NOT NULL REFERENCES loans(seq),
    opened_on TEXT NOT NULL,
    stage     TEXT NOT NULL CHECK (stage IN ('candidate', 'demand-letter', 'filed', 'mediation', 'judgment', 'enforcement', 'closed')),
    court     TEXT,
    case_no   TEXT,
    -- the judgment: the money awarded (minor units) and the day it must be paid by
    judgment_amount   INTEGER,
    perform_by        TEXT,
    version   INTEGER NOT NULL
);
CREATE INDEX legal_cases_loan ON legal_cases (loan_seq);
-- At most one case open on a loan.
CREATE UNIQUE INDEX legal_cases_open ON legal_cases (loan_seq) WHERE stage <> 'closed';

CREATE TABLE legal_case_steps (
    case_id  INTEGER NOT NULL REFERENCES legal_cases(id),
    step_no  INTEGER NOT NULL,
    stage    TEXT NOT NULL,
    on_date  TEXT NOT NULL,
    actor    TEXT NOT NULL,
    note     TEXT NOT NULL,
    PRIMARY KEY (case_id, step_no)
);

-- Written-off loans by their oldest unpaid due date (active ones have loans_overdue): the
-- time-barred sweep and the candidates read both without scanning the book.
CREATE INDEX loans_written_off_due ON loans (oldest_unpaid_due) WHERE status = 'written-off';

-- Set by the batch once a loan's limitation period has run out: it is never sued or
-- threatened with suit (the policy packs' time-barred rule).
ALTER TABLE collection_flags ADD COLUMN time_barred_since TEXT;
CREATE TRIGGER legal_case_steps_no_update BEFORE UPDATE ON legal_case_steps BEGIN SELECT RAISE(ABORT, 'case steps are never changed'); END;
CREATE TRIGGER legal_case_steps_no_delete BEFORE DELETE ON legal_case_steps BEGIN SELECT RAISE(ABORT, 'case steps are never changed'); END;

-- Certificates issued to borrowers (还款证明 repayment, 结清证明 settlement): what each
-- certifies, found by its verification code, which anyone may check; never changed.
CREATE TABLE certificates (
    code      TEXT PRIMARY KEY,
    loan_seq  INTEGER NOT NULL REFERENCES loans(seq),
    kind      TEXT NOT NULL CHECK (kind IN ('repayment', 'settlement')),
    issued_on TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    -- what it certifies, as JSON: the loan number, amounts and dates, no personal data
    statement TEXT NOT NULL
);
CREATE INDEX certificates_loan ON certificates (loan_seq);
CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates BEGIN SELECT RAISE(ABORT, 'certificates are never changed'); END;
CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates BEGIN SELECT RAISE(ABORT, 'certificates are never changed'); END;
