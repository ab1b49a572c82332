"""From rows to the frozen records repositories return, and a chat's contact fields onto a row."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict, TypeVar, cast

T = TypeVar("T")


def record(cls: type[T], row: object, **converted: Any) -> T:
    """A CLS (a dataclass) whose fields are ROW's attributes of the same names, but those given in CONVERTED."""
    names = (f.name for f in dataclasses.fields(cast(Any, cls)) if f.name not in converted)
    return cls(**{name: getattr(row, name) for name in names}, **converted)


class Contact(TypedDict):
    """Who a subscription or a subscription request is for: the chat, the person who asked, the department."""

    chat_type: str
    user_id: int | None
    display_name: str
    language_code: str | None
    department: str


def fill(row: object, contact: Contact) -> None:
    """Write CONTACT's fields onto ROW (a subscriber or a request row)."""
    for name, value in contact.items():
        setattr(row, name, value)
