"""Writes the XLSX loan tapes the import tests read (run: python3 make_xlsx.py; needs openpyxl).

They hold what spreadsheets really contain: numbers typed as numbers, dates typed as dates,
text dates, empty cells, and a header row.
"""
import datetime

from openpyxl import Workbook

HEADER = ["loan_no", "borrower_id", "product", "principal", "annual_rate", "term_months", "method", "start_date", "first_due_date"]


def write(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "loans"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


write("loans.xlsx", [
    ["X1", "B1", "CASH", 5000, 18, 12, "annuity", datetime.date(2026, 1, 15), None],
    ["X2", "B2", "CASH-FEE", 800.5, 7.2, 3, "equal-principal", "2026-01-20", datetime.date(2026, 3, 1)],
    ["X3", "B3", "CASH", "12000.00", "12", "6", "interest-only", datetime.datetime(2026, 2, 1, 0, 0), None],
])

write("loans-bad.xlsx", [
    ["Y1", "B1", "CASH", 5000, 18, 12, "annuity", datetime.date(2026, 1, 15), None],
    ["Y2", "B2", "CASH", 100.123, 18, 12, "annuity", datetime.date(2026, 1, 15), None],
    ["Y3", "B3", "CASH", 5000, 18, 12.5, "annuity", datetime.date(2026, 1, 15), None],
    ["Y4", "B4", "CASH", 5000, 18, 12, "annuity", "15/01/2026", None],
])
