from django.core.exceptions import PermissionDenied


class AlignmentError(Exception):
    """A rule of the agreement workflow was broken. The message is written for the person."""


class NotAllowed(PermissionDenied):
    """The person's role does not allow this action. The one refusal of every app (alignment,
    leads, reviews): Django answers it with the 403 page, so views let it through and only
    loops that report each item's outcome (admin actions, bulk hand-offs) catch it."""


class InvalidDefinition(AlignmentError):
    """The definition's rules do not hold together; `problems` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))
