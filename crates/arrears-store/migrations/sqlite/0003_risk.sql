-- Arrears schema, version 3, for SQLite: each loan's month-end performance (the input of
-- behavioural scoring, as the training data's monthly statuses, and of credit reporting), its risk scores, and the
-- monthly scoring runs with the population's drift.

CREATE TABLE loan_months (
    loan_seq INTEGER NOT NULL REFERENCES loans(seq),
    month    TEXT NOT NULL,
    -- -2 nothing due, -1 paid in full, 0 due on the month's last day and unpaid, 1..9 months late
    status   INTEGER NOT NULL CHECK (status BETWEEN -2 AND 9),
    -- what was owed at the month's end, and what was paid during it (minor units)
    due      INTEGER NOT NULL,
    paid     INTEGER NOT NULL CHECK (paid >= 0),
    -- everything owed, and what was owed past its due date, at the month's end; the class then
    balance  INTEGER NOT NULL,
    overdue  INTEGER NOT NULL,
    dpd      INTEGER NOT NULL,
    class    TEXT NOT NULL,
    bucket   TEXT NOT NULL,
    PRIMARY KEY (loan_seq, month)
);

CREATE TABLE risk_scores (
    loan_seq  INTEGER NOT NULL REFERENCES loans(seq),
    scored_on TEXT NOT NULL,
    model     TEXT NOT NULL,
    points    INTEGER NOT NULL,
    -- probability of default in parts per million
    pd_ppm    INTEGER NOT NULL CHECK (pd_ppm BETWEEN 0 AND 1000000),
    band      TEXT NOT NULL CHECK (band IN ('low', 'medium', 'high')),
    reasons   TEXT NOT NULL,
    -- the values of the features whose drift is watched, as a JSON array
    features  TEXT NOT NULL,
    PRIMARY KEY (loan_seq, scored_on)
);
CREATE INDEX risk_scores_date ON risk_scores (scored_on);

CREATE TABLE risk_runs (
    month  TEXT PRIMARY KEY,
    run_on TEXT NOT NULL,
    status TEXT NOT NULL,
    model  TEXT NOT NULL,
    loans  INTEGER NOT NULL,
    drift  TEXT
);

-- What each furnishing run reported (or held back) for each loan and month; never changed,
-- a run again for a month adds a new run number.
CREATE TABLE credit_reports (
    loan_seq  INTEGER NOT NULL REFERENCES loans(seq),
    month     TEXT NOT NULL,
    pack      TEXT NOT NULL,
    run_no    INTEGER NOT NULL,
    status    TEXT NOT NULL,
    -- 1 when the record's 24-month string holds any overdue or bad-debt code
    negative  INTEGER NOT NULL,
    -- 1 when held back: negative information waits until the borrower has been told
    withheld  INTEGER NOT NULL,
    PRIMARY KEY (loan_seq, month, pack, run_no)
);

-- Disputes of what is reported (or owed): the record is marked at once, collection pauses,
-- and the answer is due by the deadline (China 20 days, US 30).
CREATE TABLE disputes (
    id          INTEGER PRIMARY KEY,
    loan_seq    INTEGER NOT NULL REFERENCES loans(seq),
    opened_on   TEXT NOT NULL,
    deadline    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    opened_by   TEXT NOT NULL,
    month       TEXT,
    amount      INTEGER,
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    outcome     TEXT,
    resolved_on TEXT,
    resolved_by TEXT,
    answer      TEXT
);
CREATE INDEX disputes_loan ON disputes (loan_seq);

-- Complaints from any channel, with a deadline, the reply, and the contacts they concern.
CREATE TABLE complaints (
    id          INTEGER PRIMARY KEY,
    opened_on   TEXT NOT NULL,
    deadline    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('collection-conduct', 'fees', 'reporting', 'privacy', 'other')),
    complex     INTEGER NOT NULL,
    borrower_id TEXT,
    loan_seq    INTEGER REFERENCES loans(seq),
    description TEXT NOT NULL,
    opened_by   TEXT NOT NULL,
    assigned_to TEXT,
    status      TEXT NOT NULL CHECK (status IN ('open', 'answered')),
    reply       TEXT,
    replied_on  TEXT,
    replied_by  TEXT
);
CREATE INDEX complaints_opened ON complaints (opened_on);

CREATE TABLE complaint_contacts (
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    contact_key  TEXT NOT NULL REFERENCES contacts(contact_key),
    PRIMARY KEY (complaint_id, contact_key)
);
