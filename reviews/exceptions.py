class ReviewError(Exception):
    """A rule of the lead-review meeting was broken. The message is written for the person."""


class MeetingClosed(ReviewError):
    """The meeting is closed, and a closed meeting is read-only."""


class DuplicateMeeting(ReviewError):
    """The team already has a meeting for that week."""


class ItemsRefused(ReviewError):
    """One or more agenda items broke a rule; nothing was changed. `errors` maps item id to the
    message for that item."""

    def __init__(self, errors: dict[int, str], summary: str = "Nothing was changed:"):
        self.errors = errors
        super().__init__(f"{summary} " + " ".join(errors.values()))
