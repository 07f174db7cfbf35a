"""Mutation testing of the modules that hold the rules: ``make mutate`` (docs/testing.md).

For each module, mutmut (3.x) changes the code one small way at a time (``<`` for
``<=``, ``1.4826`` for ``2.4826``, a dropped argument...) and runs the fast tests
that cover the changed function; a mutant that no test notices *survived*. The
score of a module is the share of its mutants killed (a timeout counts as killed),
leaving out the survivors judged equivalent in ``EQUIVALENT`` (a change of the code
that changes no behaviour, so no test can notice it).

Each module runs in a copy of the tree under ``build/mutate/<module>/`` with a
pyproject.toml of its own that tells mutmut which file to mutate and which test
files to run, so that one module's run neither sees nor waits for the others' tests::

    python tests/mutation.py                       # every module, one after the other
    python tests/mutation.py history/bands         # one module (make mutate MODULE=...)
    python tests/mutation.py --list                # the modules and their tests

Afterwards ``cd build/mutate/<module> && ../../../.venv/bin/mutmut show <mutant>``
shows one mutant's change. Not part of ``make test`` or CI: minutes, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import tomlkit

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutate"
PACKAGE = "src/aperture_verify"
FAST = ["-m", "not slow and not long_wait"]


@dataclass(frozen=True)
class Target:
    """One module of rules: its source files (under the package) and the fast tests of it."""

    sources: tuple[str, ...]
    tests: tuple[str, ...]


MODULES: dict[str, Target] = {
    "history/bands": Target(
        ("history/bands.py",),
        (
            "tests/history/test_bands.py",
            "tests/history/test_bands_exact.py",
            "tests/execution/test_warnings.py",
        ),
    ),
    "execution/warning_rules": Target(
        ("execution/warning_rules.py",),
        ("tests/execution/test_warnings.py", "tests/execution/test_warnings_exact.py"),
    ),
    "execution/resume": Target(
        ("execution/resume.py",),
        ("tests/execution/test_resume_plan.py", "tests/execution/test_resume_exact.py"),
    ),
    "plan/selection": Target(
        ("plan/selection.py", "plan/fingerprint.py"),
        (
            "tests/plan/test_plan_selection.py",
            "tests/plan/test_selection_exact.py",
            "tests/plan/test_selection_parse_exact.py",
        ),
    ),
    "execution/readiness": Target(
        ("execution/readiness.py",),
        ("tests/execution/test_readiness.py", "tests/execution/test_readiness_exact.py"),
    ),
    "execution/polling": Target(
        ("execution/polling.py",),
        ("tests/execution/test_polling.py", "tests/execution/test_polling_exact.py"),
    ),
    "client/rideout": Target(
        ("client/rideout.py",),
        # not test_client_rideout.py: it waits out real outages of 1.5 s, and a mutant that
        # slows the ride-out makes each of its tests a timeout of a minute
        ("tests/client/test_outage_pace.py", "tests/client/test_outage_record.py"),
    ),
    "client/retry": Target(
        ("client/retry.py",),
        ("tests/client/test_retry.py", "tests/client/test_retry_exact.py"),
    ),
    "client/decode": Target(
        ("client/decode.py", "client/profile.py"),
        (
            "tests/client/test_client_decode.py",
            "tests/client/test_decode_exact.py",
            "tests/client/test_decode_messages.py",
            "tests/client/test_profile_states.py",
            "tests/client/test_profile.py",
        ),
    ),
    "plugin/scheduler": Target(
        ("plugin/scheduler.py",),
        ("tests/plugin/test_scheduler.py", "tests/plugin/test_scheduler_edges.py"),
    ),
    "doctor/mapping": Target(
        ("doctor/mapping.py", "doctor/routes.py", "doctor/jobfields.py"),
        (
            "tests/doctor/test_doctor_infer.py",
            "tests/doctor/test_doctor_needs.py",
            "tests/doctor/test_doctor_shapes.py",
            "tests/doctor/test_mapping_exact.py",
            "tests/doctor/test_mapping_alternatives_routes.py",
            "tests/doctor/test_mapping_alternatives_fields.py",
        ),
    ),
}

#: Survivors judged equivalent: mutant name -> why no test can tell it from the original.
#: The names hold mutmut's numbering of the source as it is: a change of a module renumbers
#: its mutants, and its entries here must be judged again (a stale name is simply unused).
_R = "aperture_verify.execution.resume."
_F = "aperture_verify.plan.fingerprint."
_S = "aperture_verify.plugin.scheduler.xǁPhaseSchedulingǁ"
_D = "aperture_verify.client.decode.xǁDecoderǁ"
_FALSY = "required=None is as falsy as required=False"
_DR = "aperture_verify.doctor.routes."
_DJ = "aperture_verify.doctor.jobfields."
_NORM = "a synonym compared through norm() (named(), the query params): its case is not seen"
_RE_I = "the pattern is searched with re.I: its case is not seen"
_UNREAD = "nothing found: add() does not read the keys"
_STRICT = "zip of two tuples of seven: strict has nothing to check"
EQUIVALENT: dict[str, str] = {
    _R + "xǁPreviousRunǁfrom_data__mutmut_68": 'Python 3.11+ fromisoformat reads "Z" itself',
    _R + "xǁPreviousRunǁfrom_data__mutmut_69": 'Python 3.11+ fromisoformat reads "Z" itself',
    _R + "xǁPreviousRunǁread__mutmut_6": '"UTF-8" and "utf-8" name the same codec',
    _R + "xǁPreviousRunǁread__mutmut_4": "the locale's encoding is UTF-8 here (a Latin-1 locale "
    "would tell, and cannot be set inside the test process)",
    _F + "x_plan_fingerprint__mutmut_22": '"UTF-8" and "utf-8" name the same codec',
    _F + "x_plan_fingerprint__mutmut_6": "ensure_ascii=None is as falsy as ensure_ascii=False",
    "aperture_verify.plan.selection.x_select__mutmut_63": "the assert only narrows types: "
    "first > last needs both options given",
    "aperture_verify.client.rideout.x__iso__mutmut_1": "format_timestamp(None) is None too",
    _S + "__init____mutmut_6": "the default log's return value is never used",
    _S + "__init____mutmut_16": "the default callback's return value is never used",
    _S + "__init____mutmut_19": "the default callback's return value is never used",
    _S + "__init____mutmut_23": "_init_stages sets _test_count before anything reads it",
    _S + "__init____mutmut_24": "_init_stages sets _test_count before anything reads it",
    _S + "__init____mutmut_25": "_init_stages sets _keys before anything reads it",
    _S + "__init____mutmut_26": "_init_stages sets _stages before anything reads it",
    _S + "_dispatch__mutmut_15": "the for loop's break is the function's last statement",
    _S + "_refuse__mutmut_21": "pytest's CollectReport stores result or []",
    _S + "mark_test_complete__mutmut_1": "the duration is not used",
    _S + "remove_node__mutmut_3": "node2collection is read only for nodes still in _order and "
    "at the first collection",
    _S + "remove_node__mutmut_6": "a removed node left in _order is skipped: it is no longer "
    "in node2collection",
    _D + "job__mutmut_36": _FALSY,
    _D + "step__mutmut_33": _FALSY,
    _D + "step__mutmut_48": _FALSY,
    _D + "time__mutmut_32": _FALSY,
    _D + "workflow__mutmut_50": _FALSY,
    _D + "workflow__mutmut_61": _FALSY,
    _D + "text__mutmut_1": "the one caller relying on the default, req_text, raises the same "
    "line when text returns None",
    _D + "req_text__mutmut_9": "unreachable: text(required=True) raises first",
    "aperture_verify.client.profile.xǁApiProfileǁpath__mutmut_10": "quote never escapes a "
    'letter: safe="XXXX" keeps "/" escaped as safe="" does',
    _DJ + "xǁFieldRulesǁjob_fields__mutmut_135": _RE_I,
    _DJ + "xǁFieldRulesǁlists__mutmut_100": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_104": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_106": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_84": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_85": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_87": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_89": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_91": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_92": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_94": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_95": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_97": _NORM,
    _DJ + "xǁFieldRulesǁlists__mutmut_98": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_100": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_101": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_103": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_105": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_106": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_36": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_38": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_39": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_41": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_42": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_44": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_45": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_59": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_60": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_62": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_75": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_77": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_78": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_80": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_81": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_86": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_88": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_89": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_91": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_92": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_98": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_10": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_12": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_14": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_15": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_19": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_21": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_23": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_24": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_28": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_29": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_31": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_32": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_34": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_35": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_37": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_39": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_43": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_44": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_46": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_47": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_49": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_50": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_52": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_54": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_58": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_59": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_61": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_63": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_64": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_68": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_69": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_71": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_73": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_74": _NORM,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_8": _NORM,
    _DJ + "xǁFieldRulesǁtimes__mutmut_29": _RE_I,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_28": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_30": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_31": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_33": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_75": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_76": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_78": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_80": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_81": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_89": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_91": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_93": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_94": _NORM,
    _DR + "xǁRouteRulesǁerror_field__mutmut_10": _NORM,
    _DR + "xǁRouteRulesǁerror_field__mutmut_12": _NORM,
    _DR + "xǁRouteRulesǁerror_field__mutmut_3": _NORM,
    _DR + "xǁRouteRulesǁerror_field__mutmut_5": _NORM,
    _DR + "xǁRouteRulesǁerror_field__mutmut_7": _NORM,
    _DR + "xǁRouteRulesǁerror_field__mutmut_8": _NORM,
    _DR + "xǁRouteRulesǁlogin__mutmut_101": _NORM,
    _DR + "xǁRouteRulesǁlogin__mutmut_19": _RE_I,
    _DR + "xǁRouteRulesǁlogin__mutmut_26": _NORM,
    _DR + "xǁRouteRulesǁlogin__mutmut_94": _NORM,
    _DR + "xǁRouteRulesǁlogin__mutmut_95": _NORM,
    _DR + "xǁRouteRulesǁlogin__mutmut_97": _NORM,
    _DR + "xǁRouteRulesǁlogin__mutmut_99": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_41": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_43": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_44": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_46": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_47": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_49": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_50": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_58": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_60": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_61": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_63": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_64": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_66": _NORM,
    _DJ + "xǁFieldRulesǁworkflow_fields__mutmut_67": _NORM,
    _DJ + "xǁFieldRulesǁpaging__mutmut_58": "totalPages and total_pages are one name once "
    "normalised: either alone finds both",
    _DJ + "xǁFieldRulesǁpaging__mutmut_61": "totalPages and total_pages are one name once "
    "normalised: either alone finds both",
    _DJ + "xǁFieldRulesǁpaging__mutmut_8": "paging runs on a 2xx list answer only: its status "
    "is a key of headers",
    _DJ + "xǁFieldRulesǁpaging__mutmut_10": "paging runs on a 2xx list answer only: its status "
    "is a key of headers",
    _DJ + "xǁFieldRulesǁlists__mutmut_145": _STRICT,
    _DJ + "xǁFieldRulesǁlists__mutmut_148": _STRICT,
    _DJ + "xǁFieldRulesǁlists__mutmut_163": _STRICT,
    _DJ + "xǁFieldRulesǁlists__mutmut_177": "the elif is reached only when len(pages) != 1: "
    ">= 1 and > 1 agree there",
    _DJ + "xǁFieldRulesǁjob_fields__mutmut_35": "step=None is as falsy as step=False",
    _DJ + "xǁFieldRulesǁtimes__mutmut_16": 'an absent description reads as "None": no "epoch"',
    _DJ + "xǁFieldRulesǁtimes__mutmut_18": 'an absent description reads as "None": no "epoch"',
    _DJ + "xǁFieldRulesǁtimes__mutmut_21": 'an absent description reads as "XXXX": no "epoch"',
    _DR + "xǁRouteRulesǁjob_route__mutmut_15": "one candidate is kept by the nearness filter, "
    "near or not",
    _DR + "xǁRouteRulesǁcancel_route__mutmut_20": "path_params == (param,) keeps routes of one "
    "parameter only",
    _DR + "xǁRouteRulesǁcancel_route__mutmut_22": "path_params == (param,) keeps routes of one "
    "parameter only",
    _DJ + "xǁFieldRulesǁjob_fields__mutmut_10": _UNREAD,
    _DJ + "xǁFieldRulesǁjob_fields__mutmut_196": _UNREAD,
    _DJ + "xǁFieldRulesǁlists__mutmut_52": _UNREAD,
    _DJ + "xǁFieldRulesǁlists__mutmut_181": _UNREAD,
    _DJ + "xǁFieldRulesǁstates__mutmut_48": _UNREAD,
    _DJ + "xǁFieldRulesǁstep_fields__mutmut_172": _UNREAD,
    _DJ + "xǁFieldRulesǁtimes__mutmut_75": _UNREAD,
    _DJ + "xǁFieldRulesǁtimes__mutmut_105": _UNREAD,
    _DR + "xǁRouteRulesǁcancel_route__mutmut_6": _UNREAD,
    _DR + "xǁRouteRulesǁcancel_route__mutmut_76": _UNREAD,
    _DR + "xǁRouteRulesǁerror_field__mutmut_39": _UNREAD,
    _DR + "xǁRouteRulesǁexecute_route__mutmut_33": _UNREAD,
    _DR + "xǁRouteRulesǁjob_route__mutmut_37": _UNREAD,
    _DR + "xǁRouteRulesǁlogin__mutmut_31": _UNREAD,
}

KILLED = {"killed", "timeout", "caught by type check", "segfault"}


def status_of(exit_code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return str(status_by_exit_code[exit_code])


def copy_tree(dest: Path) -> None:
    """The project's files (tracked, and new ones not ignored) into *dest*; outside a git
    checkout (an exported tree), everything but the virtual environment and build/."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=False,
        capture_output=True,
    )
    if listed.returncode == 0:
        names = [n for n in listed.stdout.decode().split("\0") if n]
    else:
        names = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.relative_to(ROOT).parts[0] not in (".venv", "build", ".git")
        ]
    for name in names:
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def write_config(dest: Path, target: Target) -> None:
    """pyproject.toml with this module's part of [tool.mutmut]."""
    doc = tomlkit.parse((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tool = doc["tool"]
    assert isinstance(tool, dict)
    mutmut = tool.setdefault("mutmut", tomlkit.table())
    mutmut["source_paths"] = ["src"]
    mutmut["only_mutate"] = [f"{PACKAGE}/{s}" for s in target.sources]
    # a test file not there (an older tree measured for comparison) is left out
    mutmut["pytest_add_cli_args_test_selection"] = [t for t in target.tests if (ROOT / t).is_file()]
    mutmut["pytest_add_cli_args"] = [*mutmut.get("pytest_add_cli_args", []), *FAST]
    (dest / "pyproject.toml").write_text(tomlkit.dumps(doc), encoding="utf-8")


@dataclass
class Score:
    module: str
    counts: Counter[str]
    survivors: list[str]
    equivalent: list[str]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def killed(self) -> int:
        return sum(n for status, n in self.counts.items() if status in KILLED)

    @property
    def percent(self) -> float:
        judged = self.total - len(self.equivalent)
        return 100.0 * self.killed / judged if judged else 100.0

    def line(self) -> str:
        others = ", ".join(
            f"{status} {n}" for status, n in sorted(self.counts.items()) if status not in KILLED
        )
        return (
            f"{self.module:<24} {self.percent:5.1f} %  killed {self.killed}/"
            f"{self.total - len(self.equivalent)} (of {self.total} mutants, "
            f"{len(self.equivalent)} equivalent; {others or 'no survivor'})  "
            f"{self.seconds:.0f} s"
        )


def run_module(name: str, jobs: int) -> Score | None:
    target = MODULES[name]
    dest = WORK / name.replace("/", "-")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    copy_tree(dest)
    write_config(dest, target)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    with (dest / "mutmut.log").open("w", encoding="utf-8") as log:
        done = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)],
            cwd=dest,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
        )
    seconds = time.monotonic() - started
    counts: Counter[str] = Counter()
    survivors: list[str] = []
    equivalent: list[str] = []
    for meta in sorted((dest / "mutants").rglob("*.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for mutant, code in sorted(data.get("exit_code_by_key", {}).items()):
            status = status_of(code)
            counts[status] += 1
            if status not in KILLED:
                (equivalent if mutant in EQUIVALENT else survivors).append(f"{mutant}: {status}")
    if done.returncode != 0 or not counts:
        tail = (dest / "mutmut.log").read_text(encoding="utf-8", errors="replace")[-1500:]
        print(f"mutmut failed on {name} (exit {done.returncode}); its log ends:\n{tail}")
        return None
    return Score(name, counts, survivors, equivalent, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate (default: all)")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--survivors", action="store_true", help="list every survivor")
    args = parser.parse_args(argv)
    if args.list:
        for name, target in MODULES.items():
            print(f"{name:<24} {', '.join(target.sources)}  <-  {' '.join(target.tests)}")
        return 0
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        print(
            f"mutate: no module {', '.join(unknown)}; use one of: {', '.join(MODULES)}",
            file=sys.stderr,
        )
        return 4
    scores = []
    failed: list[str] = []
    started = time.monotonic()
    for name in args.modules or list(MODULES):
        score = run_module(name, args.jobs)
        if score is None:
            failed.append(name)
            continue
        print(score.line(), flush=True)
        if args.survivors:
            for survivor in score.survivors:
                print(f"    survived: {survivor}")
        scores.append(score)
    total = time.monotonic() - started
    print(f"{len(scores)} module(s) in {total:.0f} s; scores of non-equivalent mutants killed:")
    for score in scores:
        print(f"  {score.module:<24} {score.percent:5.1f} %")
    for name in failed:
        print(f"  {name:<24} not measured: mutmut failed (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
