-- Arrears schema, version 4, for SQLite: the write-off register. A loan written off keeps its claim
-- (the state's outstanding amounts, the ledger's written-off memo accounts); this row says
-- when, on what basis (the batch's rule or a person's decision), why, who, and what was owed
-- then. Never changed: a write-off is not taken back.

CREATE TABLE write_offs (
    loan_seq       INTEGER PRIMARY KEY REFERENCES loans(seq),
    written_off_on TEXT NOT NULL,
    basis          TEXT NOT NULL CHECK (basis IN ('rule', 'decision')),
    reason         TEXT NOT NULL,
    decided_by     TEXT NOT NULL,
    -- what was owed on the day, by component (minor units)
    principal      INTEGER NOT NULL,
    interest       INTEGER NOT NULL,
    penalty        INTEGER NOT NULL,
    compound       INTEGER NOT NULL,
    fee            INTEGER NOT NULL
);
CREATE INDEX write_offs_date ON write_offs (written_off_on);
CREATE TRIGGER write_offs_no_update BEFORE UPDATE ON write_offs BEGIN SELECT RAISE(ABORT, 'write-offs are never changed'); END;
CREATE TRIGGER write_offs_no_delete BEFORE DELETE ON write_offs BEGIN SELECT RAISE(ABORT, 'write-offs are never changed'); END;
