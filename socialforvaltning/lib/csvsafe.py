"""CSV for people who open it in a spreadsheet program."""

import csv

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Google
# Sheets, and a formula can fetch addresses or run commands (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """`text` as a spreadsheet shows it, prefixed with a single quote where it would otherwise
    be read as a formula (OWASP's rule). For cells of text people write, such as names: the
    quote changes the value, so numbers and dates, where a leading minus is real, stay out."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class ExcelDanish(csv.excel):
    """What Danish Excel opens by a double-click: Excel splits on the locale's list separator,
    which is the semicolon where the comma is the decimal separator."""

    delimiter = ";"
