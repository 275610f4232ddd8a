-- Arrears schema, version 4, for PostgreSQL: the write-off register. A loan written off keeps its claim
-- (the state's outstanding amounts, the ledger's written-off memo accounts); this row says
-- when, on what basis (the batch's rule or a person's decision), why, who, and what was owed
-- then. Never changed: a write-off is not taken back.

CREATE TABLE write_offs (
    loan_seq       BIGINT PRIMARY KEY REFERENCES loans(seq),
    written_off_on TEXT NOT NULL,
    basis          TEXT NOT NULL CHECK (basis IN ('rule', 'decision')),
    reason         TEXT NOT NULL,
    decided_by     TEXT NOT NULL,
    -- what was owed on the day, by component (minor units)
    principal      BIGINT NOT NULL,
    interest       BIGINT NOT NULL,
    penalty        BIGINT NOT NULL,
    compound       BIGINT NOT NULL,
    fee            BIGINT NOT NULL
);
CREATE INDEX write_offs_date ON write_offs (written_off_on);
CREATE TRIGGER write_offs_append_only BEFORE UPDATE OR DELETE ON write_offs FOR EACH ROW EXECUTE FUNCTION arrears_append_only();
