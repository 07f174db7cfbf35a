"""Labels compared in NFC, and the code points named where two texts look alike."""

from __future__ import annotations

import unicodedata

import pytest

from aperture_verify.common.labels import difference, nfc, same_label

COMPOSED = "Adressen pr\u00fcfen"  # ü as one code point (NFC)
DECOMPOSED = "Adressen pru\u0308fen"  # u + COMBINING DIAERESIS (NFD)


def test_a_label_typed_decomposed_is_the_same_label() -> None:
    assert COMPOSED != DECOMPOSED, "the test needs two spellings"
    assert unicodedata.normalize("NFD", COMPOSED) == DECOMPOSED
    assert nfc(DECOMPOSED) == COMPOSED
    assert same_label(DECOMPOSED, COMPOSED) and same_label(COMPOSED, DECOMPOSED)
    assert not same_label("Adressen prufen", COMPOSED)
    assert difference(DECOMPOSED, COMPOSED) == "", "equal in NFC: nothing to tell apart"


@pytest.mark.parametrize(
    ("given", "known", "expected"),
    [
        ("B\u0435richt", "Bericht",
         "U+0435 CYRILLIC SMALL LETTER IE where it has U+0065 LATIN SMALL LETTER E"),
        ("Bericht\u200b", "Bericht", "U+200B ZERO WIDTH SPACE, which it has not"),
        ("Bericht", "Bericht ", "no U+0020 SPACE, which it has"),
        ("a\u00a0b\u0435", "a be",
         "U+00A0 NO-BREAK SPACE where it has U+0020 SPACE; "
         "U+0435 CYRILLIC SMALL LETTER IE where it has U+0065 LATIN SMALL LETTER E"),
        ("Berixht", "Bericht", ""),  # a typo shows for itself
        ("pruefen", "pr\u00fcfen", ""),
    ],
)  # fmt: skip
def test_texts_that_look_alike_are_told_apart_by_code_point(
    given: str, known: str, expected: str
) -> None:
    assert difference(given, known) == expected
