"""Durations: what is read, what is refused, and how a value is shown."""

from __future__ import annotations

import pytest

from aperture_verify.common.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("1m30s", 90.0),
        ("1m 30s", 90.0),
        ("1h 5m 3s", 3903.0),
        (" 10m ", 600.0),
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("0s", 0.0),
    ],
)
def test_accepted(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "\u0663s",  # Arabic-Indic digit three
        "\uff11s",  # full-width digit one
        "1\u0660s",  # 1 and an Arabic-Indic zero
        "1 0s",  # a space inside a number
        "10 s",
        "600",
        "1s1m",
        "1m1m",
        "",
        "1.5.s",
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|unit"):
        parse_duration(text)


def test_non_ascii_digits_are_named_in_the_message() -> None:
    with pytest.raises(ValueError, match="ASCII 0-9"):
        parse_duration("\uff11s")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.001, "1ms"),
        (0.05, "50ms"),
        (0.0005, "0.5ms"),
        (0.0, "0s"),
        (0.5, "0.5s"),
        (1.0, "1s"),
        (59.5, "59.5s"),
        (90.0, "1m30s"),
        (5400.0, "1h30m"),
    ],
)
def test_shown_in_the_unit_that_keeps_the_value(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown
    if seconds:
        assert parse_duration(shown) == pytest.approx(seconds)
