"""The one error type the parser raises."""


class BulletinParseError(Exception):
    """A document could not be read as a bulletin; the message is fit to show a user."""
