"""Labels as people type them: compared after Unicode normalisation (NFC).

"prüfen" can be typed as one code point for "ü" (NFC, what most keyboards
give) or as "u" followed by a combining diaeresis (NFD, what some file
systems, Mac terminals and copied text give). They look the same and must
match the same: every label (workflow, phase, plan) is compared in NFC, on
both sides. Texts that still differ but look alike (a no-break space, a
Cyrillic "e" (U+0435) for a Latin one, a zero-width space) are told apart by naming
the code points that differ, since printing both would show nothing.
"""

from __future__ import annotations

import difflib
import unicodedata


def nfc(text: str) -> str:
    """*text* in Unicode normalisation form C (composed), the form labels are compared in."""
    return unicodedata.normalize("NFC", text)


def same_label(a: str, b: str) -> bool:
    """Whether *a* and *b* are the same label (equal in NFC)."""
    return a == b or nfc(a) == nfc(b)


def code_point(char: str) -> str:
    """``U+00A0 NO-BREAK SPACE``."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


def _invisible(char: str) -> bool:
    """Whitespace, a format character (zero-width space) or a combining mark alone."""
    return char.isspace() or unicodedata.category(char) in ("Cf", "Cc", "Mn", "Me", "Zs")


def _alike(ours: str, theirs: str) -> bool:
    """Whether two differing stretches look the same: nothing visible on either side,
    or as many characters each with one beyond ASCII (a Cyrillic "e", a no-break space)."""
    if all(_invisible(c) for c in ours + theirs):
        return True
    return len(ours) == len(theirs) and any(not c.isascii() or c.isspace() for c in ours + theirs)


def difference(given: str, known: str) -> str:
    """The code points by which *given* differs from *known*, when the two look alike;
    ``""`` when they differ visibly (a typo shows for itself) or not at all.

    ``given has U+00A0 NO-BREAK SPACE where it has U+0020 SPACE``
    """
    given, known = nfc(given), nfc(known)
    if given == known:
        return ""
    parts = []
    matcher = difflib.SequenceMatcher(None, given, known, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        ours, theirs = given[i1:i2], known[j1:j2]
        if not _alike(ours, theirs):
            return ""  # a visible difference (a typo) shows for itself
        mine = ", ".join(code_point(c) for c in ours)
        other = ", ".join(code_point(c) for c in theirs)
        if ours and theirs:
            parts.append(f"{mine} where it has {other}")
        elif ours:
            parts.append(f"{mine}, which it has not")
        else:
            parts.append(f"no {other}, which it has")
    return "; ".join(parts)
