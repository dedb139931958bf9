"""How long a typed text and how large an id may be, for every form and query string.

Django's forms.CharField already refuses a NUL character; these bound the rest."""

# A note, comment or reason typed into a form.
NOTE_MAX_LENGTH = 2000
# A search term; longer ones are refused with a message on the form (a 100 kB LIKE pattern made
# SQLite fail).
SEARCH_MAX_LENGTH = 200
# Ids are BigAutoField: positive and below 2**63 on every database.
ID_MAX = 2**63 - 1


def parse_id(text) -> int | None:
    """A row id read from a query string or a form: a positive integer the column can hold, else
    None."""
    text = str(text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= ID_MAX else None
