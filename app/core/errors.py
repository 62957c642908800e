"""Errors the domain raises for bad input.

Every user-facing failure carries one sentence a person can act on; the CLI prints
``str(error)`` and the window shows it, so messages are written for people, not logs.
"""


class UserFacingError(Exception):
    """Base for errors whose message is shown to the user as is."""


class ImageError(UserFacingError):
    """An image (or a file given as one) cannot be used."""


class ModelFileError(UserFacingError):
    """A model or mmproj file is missing, damaged or of the wrong kind."""


class ContextOverflowError(UserFacingError):
    """A turn would not fit in the context window."""
