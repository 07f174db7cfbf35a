"""Fuzzing the loader: any input gives a valid Plan or a one-line PlanError naming the file.

Deterministic (``derandomize=True``, no example database) and file-free apart
from the two files the emulator sample refers to. Cases: 500 structural
mutations + 300 text mutations + 200 random documents + 300 unknown keys.
"""

from __future__ import annotations

import copy
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_plan_samples import SERVER_SAMPLE, SOURCE, emulator_sample, load, make_files, to_toml

from aperture_verify.client.profile import ApiProfile
from aperture_verify.errors import PlanError
from aperture_verify.plan.loader import PHASE_KEYS, PLAN_KEYS, TOP_KEYS
from aperture_verify.plan.model import Plan
from aperture_verify.plan.server_keys import SERVER_KEYS
from aperture_verify.plan.workflows import DEFAULT_KEYS, RANGE_KEYS, STEP_KEYS, WORKFLOW_KEYS

FUZZ = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip

Path_ = tuple[str | int, ...]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_files(tmp_path_factory.mktemp("plans"))


def check(text: str, base: Path, **kw: Any) -> Plan | PlanError:
    """Load *text*; anything but a Plan or a well-formed PlanError fails the test."""
    try:
        plan = load(text, base, **kw)
    except PlanError as e:
        message = str(e)
        assert "\n" not in message and len(message.splitlines()) == 1, repr(message)
        # a bad --server-url is blamed on the option, not on the file
        origin = "--server-url" if e.source == "--server-url" and kw.get("url") else SOURCE
        assert origin in message, message
        assert "internal error" not in message, message
        return e
    assert plan.phases and all(p.workflows for p in plan.phases)
    labels = [w.label for w in plan.workflows]
    assert len(labels) == len(set(labels))
    assert all(0 <= w.min_duration <= w.max_duration for w in plan.workflows)
    assert set(p.name for p in plan.phases) <= set(plan.defined_phases)
    assert plan.max_parallel >= 1
    return plan


# -- structural mutations ---------------------------------------------------------------

scalars = st.one_of(
    st.booleans(),
    st.integers(-5, 10**6) | st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from([
        "", " ", "emulator", "Emulator", "ads.example.com", "https://u:p@ads", "https://",
        "http://ads.example.com:0", "ftp://x", "{job_id}", "https://x/{job_id}", "-1s", "0s",
        "1h30m", "30m", "250ms", "1.5s", "5", "COMPLETED", "FAILED", "RUNNING", "v1", "v2",
        "PreferDraft", "PublishedOnly", "stop", "continue", "nightly", "smoke", "ingest",
        "Workflow 1", "Workflow 3", "demo/workflows.toml", "certs/ca.pem", "missing.pem",
        "a" * 300, "a\x00b", "\u2028", "é",
    ]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=6,
)  # fmt: skip
durations = st.one_of(
    st.from_regex(r"-?[0-9]{0,4}(\.[0-9]{0,3})?(ms|h|m|s|d|)( ?[0-9]{0,3}(ms|h|m|s))?",
                  fullmatch=True),
    st.text(alphabet="0123456789.-hms ", max_size=8),
)  # fmt: skip


def all_paths(node: Any, prefix: Path_ = ()) -> list[Path_]:
    out: list[Path_] = []
    items: list[tuple[str | int, Any]] = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    for k, v in items:
        out.append((*prefix, k))
        out.extend(all_paths(v, (*prefix, k)))
    return out


def parent_of(data: Any, path: Path_) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def typo(draw: st.DrawFn, name: str) -> str:
    i = draw(st.integers(0, len(name)))
    op = draw(st.sampled_from(["insert", "delete", "replace", "case"]))
    char = draw(st.sampled_from(string.ascii_letters + "_- ."))
    if op == "insert" or not name:
        return name[:i] + char + name[i:]
    i = min(i, len(name) - 1)
    if op == "delete":
        return name[:i] + name[i + 1 :]
    if op == "replace":
        return name[:i] + char + name[i + 1 :]
    return name.swapcase()


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(draw(st.sampled_from([SERVER_SAMPLE, emulator_sample()])))
    for _ in range(draw(st.integers(1, 3))):
        paths = all_paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = parent_of(data, path), path[-1]
        kind = draw(st.sampled_from(
            ["delete", "rename", "retype", "duration", "swap", "duplicate", "value"]
        ))  # fmt: skip
        if kind == "delete":
            del parent[last]
        elif kind == "rename" and isinstance(parent, dict) and isinstance(last, str):
            new = typo(draw, last)
            if new not in parent:
                parent[new] = parent.pop(last)
        elif kind == "duration":
            dpaths = [p for p in paths if str(p[-1]).endswith(("duration", "timeout"))]
            if dpaths:
                dp = draw(st.sampled_from(dpaths))
                parent_of(data, dp)[dp[-1]] = draw(durations)
        elif kind == "swap":
            lists = [p for p in paths if isinstance(parent_of(data, p)[p[-1]], list)]
            if lists:
                lp = draw(st.sampled_from(lists))
                items = parent_of(data, lp)[lp[-1]]
                parent_of(data, lp)[lp[-1]] = draw(st.permutations(items))
        elif kind == "duplicate":
            phases = data.get("phases")
            if isinstance(phases, dict) and phases:
                labels = [w for p in phases.values() if isinstance(p, dict)
                          for w in (p.get("workflows") or []) if isinstance(w, str)]  # fmt: skip
                target = phases[draw(st.sampled_from(list(phases)))]
                if labels and isinstance(target, dict) and isinstance(target.get("workflows"),
                                                                        list):  # fmt: skip
                    target["workflows"].append(draw(st.sampled_from(labels)))
        elif kind == "value":
            parent[last] = draw(scalars)
        else:
            parent[last] = draw(values)
    result: dict[str, Any] = data
    return result


@settings(FUZZ, max_examples=500)
@given(
    mutated(),
    st.sampled_from([None, "nightly", "smoke", "other"]),
    st.sampled_from([None, None, None, "emulator", "https://ads.example.com", "ads"]),
)
def test_structural_mutations(
    base: Path, data: dict[str, Any], plan_name: str | None, url: str | None
) -> None:  # fmt: skip
    try:
        text = to_toml(data)
    except TypeError:  # a shape the test writer cannot express (never reached today)
        return
    result = check(text, base, plan_name=plan_name)
    if url is not None and isinstance(result, Plan):
        check(text, base, plan_name=plan_name, url=url)


# -- text mutations and random documents ------------------------------------------------

garbage = st.text(alphabet="[]{}\"'=.,#\\\n\t \x00\x7f=ab1-é\u2028", min_size=1, max_size=6)


@settings(FUZZ, max_examples=300)
@given(st.sampled_from([to_toml(SERVER_SAMPLE), to_toml(emulator_sample())]), st.data())
def test_text_mutations(base: Path, text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 40)))
    kind = data.draw(st.sampled_from(["insert", "truncate", "cut", "replace", "repeat"]))
    if kind == "insert":
        text = text[:i] + data.draw(garbage) + text[i:]
    elif kind == "truncate":
        text = text[:i]
    elif kind == "cut":
        text = text[:i] + text[j:]
    elif kind == "replace":
        text = text[:i] + data.draw(garbage) + text[j:]
    else:
        text = text[:j] + text[i:]
    check(text, base)


toml_fragments = st.sampled_from([
    "[server]", "[plans.a]", "[phases.p]", "[workflows.\"w\"]", "[[plans]]", "[defaults]",
    'url = "emulator"', 'phases = ["p"]', 'workflows = ["w"]', "max_parallel = 1",
    'default_plan = "a"', "a.b.c = 1", "x = {", "}", "]", 'min_duration = "1s"', "y = [1, [2]]",
    "t = 1979-05-27T07:32:00Z", "f = nan", 'steps."s" = { rowsIn = { min = 3 } }',
    "key = '''\nmulti\n'''", "password = 'x'",
])  # fmt: skip


@settings(FUZZ, max_examples=200)
@given(st.one_of(
    st.text(max_size=120),
    st.lists(toml_fragments | st.text(alphabet='[]{}="., abc\n', max_size=12), max_size=12)
    .map("\n".join),
))  # fmt: skip
def test_random_documents(base: Path, text: str) -> None:
    check(text, base)


# -- an unknown key is never ignored -----------------------------------------------------

SAMPLE = emulator_sample()
STEP = ("workflows", "Workflow 3", "steps", "Validate addresses")
TABLES: dict[Path_, tuple[str, tuple[str, ...]]] = {
    (): ("", TOP_KEYS),
    ("server",): ("server", SERVER_KEYS),
    ("server", "profile"): ("server.profile", ApiProfile.field_names()),
    ("defaults",): ("defaults", DEFAULT_KEYS),
    ("plans", "nightly"): ("plans.nightly", PLAN_KEYS),
    ("plans", "smoke"): ("plans.smoke", PLAN_KEYS),
    ("phases", "cleanse"): ("phases.cleanse", PHASE_KEYS),
    ("workflows", "Workflow 3"): ('workflows."Workflow 3"', WORKFLOW_KEYS),
    STEP: ('workflows."Workflow 3".steps."Validate addresses"', STEP_KEYS),
    (*STEP, "failedRows"): ('workflows."Workflow 3".steps."Validate addresses".failedRows',
                            RANGE_KEYS),
}  # fmt: skip
# Tables whose keys are names (of plans, phases, workflows, steps): any non-table entry is wrong.
LABEL_TABLES: dict[Path_, str] = {
    ("plans",): "plans",
    ("phases",): "phases",
    ("workflows",): "workflows",
    ("workflows", "Workflow 3", "steps"): 'workflows."Workflow 3".steps',
}
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,15}", fullmatch=True)


@settings(FUZZ, max_examples=200)
@given(st.sampled_from(list(TABLES)), names, values)
def test_unknown_key_in_any_table_is_named(
    base: Path, path: Path_, name: str, value: object
) -> None:
    prefix, allowed = TABLES[path]
    table = parent_of(SAMPLE, (*path, ""))
    if name in allowed or name in table:
        return
    data = copy.deepcopy(SAMPLE)
    parent_of(data, (*path, ""))[name] = value
    err = check(to_toml(data), base)
    assert isinstance(err, PlanError)
    assert err.key == (f"{prefix}.{name}" if prefix else name), str(err)
    assert name in str(err)


@settings(FUZZ, max_examples=100)
@given(st.sampled_from(list(LABEL_TABLES)), names, scalars | st.lists(scalars, max_size=2))
def test_a_non_table_entry_in_a_named_table_is_named(
    base: Path, path: Path_, name: str, value: object
) -> None:
    data = copy.deepcopy(SAMPLE)
    table = parent_of(data, (*path, ""))
    if name in table:
        return
    table[name] = value
    err = check(to_toml(data), base)
    assert isinstance(err, PlanError)
    assert err.key == f"{LABEL_TABLES[path]}.{name}", str(err)
