"""Path converters. `<id:pk>` takes only what an id column can hold (1 to 2**63 - 1): a longer or
larger number in a URL is a 404 before any query, never a database error."""

from security.limits import ID_MAX


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= ID_MAX:
            raise ValueError(f"{value} is no id")
        return number

    def to_url(self, value) -> str:
        return str(int(value))
