"""Terminal columns are counted in cells: wide characters take two, combining ones none."""

from __future__ import annotations

import pytest

from aperture_verify.common.columns import cells, pad


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("W1", 2),
        ("Größe", 5),
        ("Ге\u0301\u0440\u0431", 4),  # a combining acute accent takes no cell
        ("日本語", 6),
        ("数据 % 清洗", 11),
        ("\uff46\uff55\uff4c\uff4c", 8),  # full-width Latin
        ("🚀 go", 5),
        ("تحقق", 4),
        ("a\u200db", 2),  # a zero-width joiner takes no cell
        ("", 0),
    ],
)
def test_cells_counts_what_a_terminal_shows(text: str, width: int) -> None:
    assert cells(text) == width


def test_pad_lines_up_the_next_column_whatever_the_script() -> None:
    rows = [pad(label, 12) + "|" for label in ("W1", "日本語", "Ге\u0301\u0440\u0431", "🚀 go")]
    assert {cells(row) for row in rows} == {13}
    assert pad("a label longer than its column", 4) == "a label longer than its column"
