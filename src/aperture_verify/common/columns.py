"""Padding text to a column in a terminal, by the cells it takes rather than its length.

A label of CJK characters or emoji takes two terminal cells per character, a
combining accent none: ``f"{label:<28}"`` would misalign the columns after it.
"""

from __future__ import annotations

import unicodedata


def cells(text: str) -> int:
    """The terminal cells *text* takes: 2 for wide characters, 0 for combining ones."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    """*text* followed by spaces up to *width* cells (as ``f"{text:<width}"``, by cells)."""
    return text + " " * max(width - cells(text), 0)
