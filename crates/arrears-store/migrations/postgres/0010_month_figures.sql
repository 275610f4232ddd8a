-- Arrears schema, version 10, for PostgreSQL: the dashboard's month-end figures. When a month's
-- rows are recorded (the month-end step), the book's month is counted once into these few
-- rows, so the charts of a book of millions of loans read hundreds of rows, not every loan's
-- months. A month's figures are never changed once its month-end step is done; the upgrade to
-- this version counts the months recorded before.

-- Loans and balances by bucket at a month's end.
CREATE TABLE month_buckets (
    month        TEXT NOT NULL,
    currency     TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    loans        BIGINT NOT NULL,
    -- everything owed, and the part owed by loans more than 0 days past due (minor units)
    balance      BIGINT NOT NULL,
    late_balance BIGINT NOT NULL,
    PRIMARY KEY (month, currency, bucket)
);

-- Loans by their bucket at the end of the month before `month` and at the end of `month`
-- (an empty to_bucket: no row then, the loan closed in between).
CREATE TABLE month_rolls (
    month       TEXT NOT NULL,
    currency    TEXT NOT NULL,
    from_bucket TEXT NOT NULL,
    to_bucket   TEXT NOT NULL,
    loans       BIGINT NOT NULL,
    PRIMARY KEY (month, currency, from_bucket, to_bucket)
);

-- Loans late (more than 0 days past due, not written off) at the end of `month`, by what the
-- next month's end found: closed (no row), current (0 days past due) or still late.
CREATE TABLE month_cures (
    month    TEXT NOT NULL,
    currency TEXT NOT NULL,
    closed   INTEGER NOT NULL,
    current  INTEGER NOT NULL,
    loans    BIGINT NOT NULL,
    PRIMARY KEY (month, currency, closed, current)
);

-- At a month's end, the loans of each vintage (the month they started) and those of them
-- more than 30 days past due.
CREATE TABLE month_vintages (
    month    TEXT NOT NULL,
    currency TEXT NOT NULL,
    vintage  TEXT NOT NULL,
    loans    BIGINT NOT NULL,
    late     BIGINT NOT NULL,
    PRIMARY KEY (month, currency, vintage)
);

-- The month-end counting reads one month's rows.
CREATE INDEX loan_months_month ON loan_months (month);
