"""Routing rules, as the pure matcher takes them: which team a sales-ready lead goes to.

A version's routing is an ordered list of :class:`Route`. Each names conditions (countries and
regions, company size, industries, sources, campaigns, one property's values) and a team; a
lead matches a route when every condition the route names holds (within one condition, any of
its values will do). The first matching route wins (:func:`first_match`); a route without
conditions takes every lead, so it belongs last. Matching is pure: no database, no settings.

Countries are ISO 3166 codes: the leads app reads the lead's country (``DE``, ``Germany``,
``Deutschland``) as a code before matching (:attr:`RoutingFacts.country_code`). Text values
(industries, sources, campaigns, property values) compare as the scoring rules compare them,
ignoring case and surrounding spaces (:func:`alignment.scoring.text_of`).

The agreement knows nothing of the leads app's tables, so the names it may offer for sources
and campaigns come from catalogues the leads app registers (:func:`register_catalogue`) in its
AppConfig.ready(), as it registers the definition page's panels.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from alignment import scoring
from alignment.regions import REGIONS, countries_of, country_choices, country_name


@dataclass(frozen=True)
class Route:
    name: str
    position: int = 0
    rule_id: int | None = None
    team_id: int | None = None
    team: str = ""
    team_is_sales: bool = True
    automatic: bool = True
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    employees_min: int | None = None
    employees_max: int | None = None
    industries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    property_key: str = ""
    property_values: tuple[str, ...] = ()

    @property
    def has_conditions(self) -> bool:
        return bool(
            self.countries
            or self.regions
            or self.employees_min is not None
            or self.employees_max is not None
            or self.industries
            or self.sources
            or self.campaigns
            or self.property_key
        )


@dataclass(frozen=True)
class RoutingFacts:
    """What routing reads of a lead. ``country_code`` is "" when the country is unknown."""

    country_code: str = ""
    employees: int | None = None
    industry: str = ""
    source: str = ""
    campaign: str = ""
    properties: Mapping[str, object] = field(default_factory=dict)


def _folded(values: Iterable[str]) -> frozenset[str]:
    return frozenset(scoring.text_of(value) for value in values)


def matches(route: Route, facts: RoutingFacts) -> bool:
    """Whether every condition ``route`` names holds for the lead."""
    places = {code.upper() for code in route.countries} | countries_of(route.regions)
    if (route.countries or route.regions) and facts.country_code.upper() not in places:
        return False
    if route.employees_min is not None or route.employees_max is not None:
        if facts.employees is None:
            return False
        if route.employees_min is not None and facts.employees < route.employees_min:
            return False
        if route.employees_max is not None and facts.employees > route.employees_max:
            return False
    for wanted, value in (
        (route.industries, facts.industry),
        (route.sources, facts.source),
        (route.campaigns, facts.campaign),
    ):
        if wanted and scoring.text_of(value) not in _folded(wanted):
            return False
    if route.property_key:
        value = (facts.properties or {}).get(route.property_key)
        if scoring.is_empty(value):
            return False
        if route.property_values and scoring.text_of(value) not in _folded(route.property_values):
            return False
    return True


def first_match(routes: Sequence[Route], facts: RoutingFacts) -> Route | None:
    """The first route, in order, that the lead matches; None when none does."""
    for route in routes:
        if matches(route, facts):
            return route
    return None


# --- In words ----------------------------------------------------------------------------------


def _or(values: Iterable[str]) -> str:
    return scoring._or_list([f"“{value}”" for value in values])


def conditions_in_words(route: Route, labels: Mapping[str, str] | None = None) -> str:
    """The route's conditions as a sentence's end: "from Germany or EMEA, with 50 to 200
    employees"; "every lead" without conditions."""
    parts = []
    places = [country_name(code) for code in route.countries] + list(route.regions)
    if places:
        parts.append(f"from {scoring._or_list(places)}")
    low, high = route.employees_min, route.employees_max
    if low is not None and high is not None:
        parts.append(f"with {low:,} to {high:,} employees")
    elif low is not None:
        parts.append(f"with at least {low:,} employees")
    elif high is not None:
        parts.append(f"with at most {high:,} employees")
    if route.industries:
        parts.append(f"in {_or(route.industries)}")
    if route.sources:
        parts.append(f"from source {_or(route.sources)}")
    if route.campaigns:
        parts.append(f"of campaign {_or(route.campaigns)}")
    if route.property_key:
        label = (labels or {}).get(route.property_key, route.property_key)
        parts.append(f"whose {label} is {_or(route.property_values)}" if route.property_values else f"with a {label}")
    return "leads " + scoring._and_list(parts) if parts else "every lead"


def describe(route: Route, labels: Mapping[str, str] | None = None) -> str:
    """The route in plain words, e.g. "1. DACH: leads from Germany or Austria go to Enterprise,
    automatically to its least-loaded working rep"."""
    team = route.team or "no team"
    how = "automatically to its least-loaded working rep" if route.automatic else "for marketing to hand off by hand"
    return f"{route.position}. {route.name}: {conditions_in_words(route, labels)} go to {team}, {how}"


# --- Checks ------------------------------------------------------------------------------------

# Name ("source", "campaign") → a callable returning the names leads may carry.
CATALOGUES: dict[str, Callable[[], list[str]]] = {}


def register_catalogue(name: str, names: Callable[[], list[str]]) -> None:
    CATALOGUES[name] = names


def catalogue(name: str) -> list[str] | None:
    """The names registered for ``name``, or None when no app registered any."""
    names = CATALOGUES.get(name)
    return None if names is None else list(names())


def routing_problems(routes: Sequence[Route], properties: Mapping[str, str] | None = None) -> list[str]:
    """What is wrong with an ordered list of routes, in words a marketer can act on; [] when
    nothing is. ``properties`` maps declared property keys to their kinds."""
    problems = []
    known_countries = {code for code, _ in country_choices()}
    # The source and campaign names are read only when some rule names one (one query each).
    named = {"source": any(route.sources for route in routes), "campaign": any(route.campaigns for route in routes)}
    known = {name: catalogue(name) if wanted else None for name, wanted in named.items()}
    for index, route in enumerate(routes):
        rule = f"Routing rule {route.position} “{route.name}”"
        if not route.name.strip():
            problems.append(f"Routing rule {route.position} needs a name.")
        if route.team_id is None:
            problems.append(f"{rule} sends leads to no team: choose the sales team that receives them.")
        elif not route.team_is_sales:
            problems.append(f"{rule} sends leads to {route.team}, which is not a sales team.")
        if not route.has_conditions and index != len(routes) - 1:
            problems.append(
                f"{rule} has no conditions, so it takes every lead and the rules after it never apply:"
                " give it a condition or make it the last rule."
            )
        unknown = [code for code in route.countries if code.upper() not in known_countries]
        if unknown:
            problems.append(f"{rule} names countries Accord does not know: {', '.join(unknown)} (use ISO codes).")
        unknown = [code for code in route.regions if code not in REGIONS]
        if unknown:
            problems.append(f"{rule} names unknown regions: {', '.join(unknown)} (known: {', '.join(REGIONS)}).")
        low, high = route.employees_min, route.employees_max
        if low is not None and high is not None and low > high:
            problems.append(f"{rule} asks for at least {low:,} and at most {high:,} employees: no company fits.")
        for name, values in (("source", route.sources), ("campaign", route.campaigns)):
            if known[name] is not None and values:
                folded = _folded(known[name])
                missing = [value for value in values if scoring.text_of(value) not in folded]
                if missing:
                    problems.append(f"{rule} names no existing {name}: {', '.join(missing)}.")
        if route.property_key and properties is not None and route.property_key not in properties:
            problems.append(f"{rule} tests “{route.property_key}”, which is not a declared lead property.")
        if route.property_values and not route.property_key:
            problems.append(f"{rule} lists property values but no property.")
    return problems
