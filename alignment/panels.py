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
