"""The conventions of the tables people keep in spreadsheets, shared by every app that reads or
writes them (lead imports and exports, reference data in the admin): how a file's bytes become
text, which delimiter a header line uses, how a cell is kept from running as a formula and read
back, and which words mean yes and no.
"""

import csv

# A leading character that makes a spreadsheet run a cell as a formula. CSV exports put an
# apostrophe (the spreadsheet's own "this is text" mark) before such cells; imports take it off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Delimiters real exports use: comma, semicolon (European Excel) and tab.
DELIMITERS = ",;\t"
YES_WORDS = frozenset({"yes", "y", "true", "1", "x"})
NO_WORDS = frozenset({"no", "n", "false", "0"})


def guard_formula(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def unguard_formula(text: str) -> str:
    """A cell as it was before :func:`guard_formula`."""
    if text[:1] == "'" and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def decode(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was read with: UTF-8 (a byte-order mark is
    dropped), else Windows-1252 (Excel's "CSV" on Windows). Raises UnicodeDecodeError for one
    of the five bytes Windows-1252 leaves undefined."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def sniff_delimiter(first_line: str) -> str:
    """The delimiter of a header line: the candidate that splits it into the most columns, the
    comma on a tie (quoted headers are read with the csv module, so a comma inside quotes does
    not count). Raises csv.Error when the line cannot be read as CSV."""
    best, best_width = ",", 1
    for delimiter in DELIMITERS:
        width = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if width > best_width:
            best, best_width = delimiter, width
    return best
