"""The format-independent stream every reader produces: one block per paragraph or line, with layout hints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (or a line, for plain text) and what its layout says about it.

    bold: the whole paragraph is bold; centred: it is centred; large: set in a bigger font than the body
    text (PDF font size, .docx run size, HTML h1-h6).
    """

    text: str
    bold: bool = False
    centred: bool = False
    large: bool = False

    @property
    def styled(self) -> bool:
        """True when the layout marks this block as a heading candidate."""
        return self.large or self.bold or self.centred
