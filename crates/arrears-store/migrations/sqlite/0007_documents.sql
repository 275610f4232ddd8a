-- Arrears schema, version 7, for SQLite: the documents issued on a loan (demand letters,
-- lawyer's letter and complaint drafts) as the PDFs that were made, with their SHA-256, so that
-- the evidence bundle carries exactly what was sent; never changed.

CREATE TABLE documents (
    id         INTEGER PRIMARY KEY,
    loan_seq   INTEGER NOT NULL REFERENCES loans(seq),
    case_id    INTEGER REFERENCES legal_cases(id),
    kind       TEXT NOT NULL CHECK (kind IN ('demand-letter', 'lawyers-letter', 'complaint')),
    lang       TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    made_on    TEXT NOT NULL,
    made_by    TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    pdf        BLOB NOT NULL
);
CREATE INDEX documents_loan ON documents (loan_seq);
CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents BEGIN SELECT RAISE(ABORT, 'documents are never changed'); END;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents BEGIN SELECT RAISE(ABORT, 'documents are never changed'); END;
