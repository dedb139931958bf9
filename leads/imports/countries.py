"""Which country a row's Country cell names, so its phone numbers are read the way people there
write them (``55 6576 8790`` in Mexico, ``0412 345 678`` in Australia).

A cell may hold an ISO 3166 two-letter code (``MX``) or a country's name in English, Spanish,
French, German, Portuguese or Italian (``Mexico``, ``México``, ``Mexique``), as the phone-number
library's own locale data writes them, plus the common short forms CRMs let people type (USA, UK).
"""

import re
from functools import lru_cache

import phonenumbers
from phonenumbers.geodata.locale import LOCALE_DATA

LANGUAGES = ("en", "es", "fr", "de", "pt", "it")
# Short and old forms people type that the locale data does not list.
ALIASES = {
    "usa": "US",
    "us": "US",
    "u s": "US",
    "u s a": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "uae": "AE",
    "korea": "KR",
    "republic of korea": "KR",
    "russian federation": "RU",
    "czechia": "CZ",
    "holland": "NL",
    "the netherlands": "NL",
    "ivory coast": "CI",
    "viet nam": "VN",
    "turkiye": "TR",
    "türkiye": "TR",
}


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _name(region: str, language: str) -> str | None:
    names = LOCALE_DATA.get(region, {})
    name = names.get(language)
    while name and name.startswith("*"):  # "*es": the same as the Spanish name
        name = names.get(name[1:])
    return name


@lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    known = phonenumbers.SUPPORTED_REGIONS
    table = {}
    for region in known:
        for language in LANGUAGES:
            name = _name(region, language)
            if name:
                table.setdefault(_key(name), region)
        table[region.casefold()] = region
    table.update({alias: region for alias, region in ALIASES.items()})
    return table


@lru_cache(maxsize=4096)
def region_of(country: str) -> str | None:
    """The two-letter region ``country`` names, or None when it names none Accord knows."""
    return _regions().get(_key(country))
