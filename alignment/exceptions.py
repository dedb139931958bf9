class AlignmentError(Exception):
    """A rule of the agreement workflow was broken. The message is written for the person."""


class NotAllowed(AlignmentError):
    """The person's role does not allow this action."""


class InvalidDefinition(AlignmentError):
    """The definition's rules do not hold together; `problems` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))
