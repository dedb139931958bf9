"""Sales regions: named groups of countries, by ISO 3166 two-letter code, defined once here.
Routing rules name them (a rule "for EMEA" matches a lead from any of its countries); a lead's
country is read as a code by the leads app before it is matched."""

from functools import lru_cache

from phonenumbers.geodata.locale import LOCALE_DATA

_AMER = "US CA PM BM GL"
_LATAM = (
    "MX GT BZ SV HN NI CR PA CU DO HT JM PR BS BB TT AG DM GD KN LC VC AW CW SX BQ KY TC VG VI AI MS GP MQ BL MF "
    "CO VE EC PE BO BR PY UY AR CL GY SR GF FK"
)
_EMEA = (
    "GB IE FR DE NL BE LU CH AT IT ES PT AD MC SM VA MT LI IS NO SE FI DK FO AX GI IM JE GG "
    "PL CZ SK HU SI HR BA RS ME MK AL XK GR BG RO MD UA BY LT LV EE RU CY TR GE AM AZ "
    "AE SA QA BH KW OM YE IQ IR IL PS JO LB SY "
    "EG LY TN DZ MA EH SD SS ET ER DJ SO KE UG TZ RW BI CD CG GA GQ CM CF TD NE NG BJ TG GH CI LR SL GN GW SN GM "
    "ML BF MR CV ST AO ZM ZW MW MZ MG MU SC KM RE YT NA BW ZA LS SZ SH SJ"
)
_APAC = (
    "CN HK MO TW JP KR KP MN IN PK BD LK NP BT MV AF KZ KG TJ TM UZ "
    "TH VN LA KH MM MY SG ID PH BN TL AU NZ PG FJ SB VU NC PF WS TO KI TV NR FM MH PW CK NU NF GU MP AS WF TK CC CX IO"
)

# Code → (label, its countries).
REGIONS: dict[str, tuple[str, frozenset[str]]] = {
    "AMER": ("North America", frozenset(_AMER.split())),
    "LATAM": ("Latin America and the Caribbean", frozenset(_LATAM.split())),
    "EMEA": ("Europe, the Middle East and Africa", frozenset(_EMEA.split())),
    "APAC": ("Asia and the Pacific", frozenset(_APAC.split())),
}
REGION_CHOICES = [(code, f"{code} ({label})") for code, (label, _) in REGIONS.items()]


def countries_of(regions) -> frozenset[str]:
    """Every country of the named regions (unknown names add none)."""
    found: frozenset[str] = frozenset()
    for code in regions:
        if code in REGIONS:
            found |= REGIONS[code][1]
    return found


_NOT_IN_LOCALE_DATA = {"XK": "Kosovo"}


def country_name(code: str) -> str:
    """A country's English name, or the code itself when it is not known."""
    names = LOCALE_DATA.get(code, {})
    name = names.get("en")
    while name and name.startswith("*"):  # "*es": the same as the Spanish name
        name = names.get(name[1:])
    return name or _NOT_IN_LOCALE_DATA.get(code, code)


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    """Every country in a region, as (code, "Name (code)"), by name."""
    codes = countries_of(REGIONS)
    return sorted(((code, f"{country_name(code)} ({code})") for code in codes), key=lambda choice: choice[1])
