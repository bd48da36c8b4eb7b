"""The one error type of the scoring package: a user's file or folder cannot be scored as it is."""


class ScoringError(ValueError):
    """A one-line message naming the offending file (and line); nothing may be stored after it."""
