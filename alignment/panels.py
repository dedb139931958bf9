"""Panels other apps add to a definition's page. The agreement app knows nothing of leads or
hand-offs, so the figures about them (leads per grade and bucket, hand-offs per version) are
contributed by the leads app, which registers a panel in its AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict


# Each takes (definition, user) and returns a Panel, or None to show nothing.
DEFINITION_PANELS: list[Callable] = []


def register_definition_panel(panel: Callable) -> None:
    if panel not in DEFINITION_PANELS:
        DEFINITION_PANELS.append(panel)


def definition_panels(definition, user) -> list[Panel]:
    return [panel for make in DEFINITION_PANELS if (panel := make(definition, user)) is not None]


# The backtest of a version on the leads whose outcome is known: the leads app supplies it, as it
# supplies the panels. It takes the version and returns (figures, "") or (None, why there are none).
EVIDENCE: list[Callable] = []


def register_definition_evidence(evidence: Callable) -> None:
    if evidence not in EVIDENCE:
        EVIDENCE.append(evidence)


def definition_evidence(definition) -> tuple[dict | None, str]:
    if not EVIDENCE:
        return None, "No app supplies backtests."
    return EVIDENCE[0](definition)
