"""Normalized keys used to recognise the same person or company across entries and imports."""

# Free-mail domains say nothing about the company a person works for.
FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "gmail.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "web.de",
        "yahoo.com",
        "yandex.ru",
    }
)


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def company_domain_of(email: str) -> str:
    """The company's domain from a work email; empty for free-mail or malformed addresses."""
    normalized = normalize_email(email)
    if normalized.count("@") != 1:
        return ""
    domain = normalized.rsplit("@", 1)[1].rstrip(".")
    return "" if domain in FREE_MAIL_DOMAINS else domain
