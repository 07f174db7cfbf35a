"""Sample plans for the plan tests, and a small TOML writer to build them from dicts.

The other ``test_plan_*`` modules import from here; the tests below pin the writer.
"""

from __future__ import annotations

import copy
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aperture_verify.errors import PlanError
from aperture_verify.plan import Plan, load_plan_text

SOURCE = "plans.toml"

# A valid plan against a real server, using every key that needs no file.
SERVER_SAMPLE: dict[str, Any] = {
    "default_plan": "nightly",
    "server": {
        "url": "https://ads.example.com:7701",
        "api": "v2",
        "environment": "default",
        "space": "Demo",
        "verify_tls": True,
        "connect_timeout": "5s",
        "read_timeout": "30s",
        "job_url": "https://ads.example.com/#/jobs/{job_id}",
        "profile": {"job_path": "/api/v2/jobs/{job_id}"},
    },
    "defaults": {
        "state": "COMPLETED",
        "min_duration": "0s",
        "max_duration": "30m",
        "version": "PublishedOnly",
        "dependencies": "PublishedOnly",
        "refresh_sources": False,
    },
    "plans": {
        "nightly": {
            "phases": ["ingest", "cleanse", "match", "publish"],
            "on_failure": "stop",
            "max_parallel": 8,
        },
        "smoke": {"phases": ["ingest", "publish"]},
    },
    "phases": {
        "ingest": {"workflows": ["Workflow 1"]},
        "cleanse": {"workflows": ["Workflow 2", "Workflow 3", "Workflow 4"]},
        "match": {"workflows": ["Workflow 5"]},
        "publish": {"workflows": ["Workflow 6"]},
    },
    "workflows": {
        "Workflow 3": {
            "space": "Other",
            "min_duration": "20s",
            "max_duration": "10m",
            "version": "PreferDraft",
            "parameters": {"region": "EMEA", "limit": 10, "ratio": 0.5, "strict": True},
            "sources": {"Customers source": "Customers March"},
            "steps": {
                "Validate addresses": {"state": "COMPLETED", "failedRows": {"max": 0}},
                "Export": {"rowsOut": {"min": 1000}, "rowsIn": 1200},
            },
        },
    },
}


def emulator_sample() -> dict[str, Any]:
    """``SERVER_SAMPLE`` against the emulator, with ca_bundle and emulator_workflows
    (the caller creates ``certs/ca.pem`` and ``demo/workflows.toml`` with ``make_files``)."""
    sample = copy.deepcopy(SERVER_SAMPLE)
    sample["server"]["url"] = "emulator"
    sample["server"]["emulator_workflows"] = "demo/workflows.toml"
    sample["server"]["ca_bundle"] = "certs/ca.pem"
    return sample


def make_files(base: Path) -> Path:
    """The files ``emulator_sample`` refers to, under *base*."""
    for rel in ("demo/workflows.toml", "certs/ca.pem"):
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text("# test file\n")
    return base


def _key(name: str) -> str:
    if name and all(c.isascii() and (c.isalnum() or c in "_-") for c in name):
        return name
    return _string(name)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def to_toml(data: Mapping[str, Any]) -> str:
    """*data* as TOML: tables up to two levels deep get headers, deeper ones are inline."""
    lines: list[str] = []

    def emit(path: Sequence[str], table: Mapping[str, Any]) -> None:
        nested = len(path) < 2
        if path:
            lines.append("")
            lines.append("[" + ".".join(_key(p) for p in path) + "]")
        for k, v in table.items():
            if not (nested and isinstance(v, dict)):
                lines.append(f"{_key(k)} = {_value(v)}")
        for k, v in table.items():
            if nested and isinstance(v, dict):
                emit([*path, k], v)

    emit([], data)
    return "\n".join(lines) + "\n"


def load(text: str, base: Path | None = None, **kw: Any) -> Plan:
    """``load_plan_text`` as the tests use it: no real environment, files under *base*."""
    kw.setdefault("environ", {})
    return load_plan_text(text, SOURCE, base_dir=base or Path("/nonexistent"), **kw)


def plan_error(text: str, base: Path | None = None, **kw: Any) -> PlanError:
    """The ``PlanError`` *text* raises; checks it is one line naming the file."""
    with pytest.raises(PlanError) as info:
        load(text, base, **kw)
    err = info.value
    message = str(err)
    assert "\n" not in message and "\r" not in message, message
    assert len(message.splitlines()) == 1, message
    assert "internal error" not in message, message
    assert SOURCE in message, message
    return err


# -- the writer -------------------------------------------------------------------------


def test_samples_round_trip() -> None:
    assert tomllib.loads(to_toml(SERVER_SAMPLE)) == SERVER_SAMPLE
    assert tomllib.loads(to_toml(emulator_sample())) == emulator_sample()


_scalars = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False), st.text()
)


@settings(max_examples=50, derandomize=True, database=None)
@given(st.dictionaries(st.text(), st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner,
                                                                         max_size=3),
    max_leaves=8,
), max_size=4))  # fmt: skip
def test_writer_round_trips_any_document(data: dict[str, Any]) -> None:
    assert tomllib.loads(to_toml(data)) == data


_DELETE = object()


def changed(sample: Mapping[str, Any], *edits: tuple[str, object]) -> str:
    """TOML for a copy of *sample* with each ``("a/b/c", value)`` set (``DELETE`` removes)."""
    data = copy.deepcopy(dict(sample))
    for path, value in edits:
        *parents, last = path.split("/")
        table = data
        for part in parents:
            table = table.setdefault(part, {})
        if value is _DELETE:
            del table[last]
        else:
            table[last] = value
    return to_toml(data)


DELETE = _DELETE
