class LeadError(Exception):
    """A rule of the lead workflow was broken. The message is written for the person."""


class InvalidTransition(LeadError):
    """The lead's stage does not allow the requested move."""


class HandoffConflict(LeadError):
    """The hand-off is no longer in the state the request expected (decided, or one is open)."""


class ImportFileError(LeadError):
    """An import file cannot be read at all (as opposed to single rows that fail)."""


class MergeRefused(LeadError):
    """Two leads cannot be merged as asked."""
