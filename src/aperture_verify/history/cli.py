"""``aperture-history``: seed, read and trim the run history.

    aperture-history import reports/results.json archive/*/results.json
    aperture-history show [--plan P] [--server URL] [--workflow LABEL] [--last N]
    aperture-history prune [--keep N] [--plan P]
    aperture-history report [--plan P] [--last N] [--output history.html]

The store is ``--history=PATH``, else ``APERTURE_HISTORY``, else
``.aperture/history.sqlite`` in the project folder (``--project DIR`` or
``APERTURE_PROJECT``, as for aperture-verify), else in the current folder. Every
problem is one line on stderr and exit status 1 (2 for a bad command line).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from aperture_verify.common.columns import pad
from aperture_verify.common.files import write_atomic
from aperture_verify.common.project_folder import PROJECT_VAR, LaunchError, find_project
from aperture_verify.history.page import DEFAULT_LAST, HISTORY_FILE, history_page
from aperture_verify.history.records import HistoryError, run_from_results, server_key
from aperture_verify.history.store import DEFAULT_KEEP, HistoryStore, RunRow

DEFAULT_PATH = Path(".aperture") / "history.sqlite"
HISTORY_ENV = "APERTURE_HISTORY"
KEEP_HELP = "runs kept per plan and server"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        given = args.project or os.environ.get(PROJECT_VAR, "").strip() or None
        base = find_project(given, os.environ, Path.cwd()) if given else Path()
    except LaunchError as e:
        print(f"aperture-history: error: {e}", file=sys.stderr)
        return 2
    path = Path(args.history or os.environ.get(HISTORY_ENV) or base / DEFAULT_PATH)
    try:
        if args.command == "import":
            return _import(path, args.files, args.keep)
        if args.command == "show":
            return _show(path, args.plan, args.workflow, args.last, args.server)
        if args.command == "report":
            return _report(path, args.plan, args.last, Path(args.output))
        return _prune(path, args.keep, args.plan)
    except HistoryError as e:
        print(f"aperture-history: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("aperture-history: interrupted", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aperture-history", description="Seed, read and trim aperture-verify's run history."
    )
    p.add_argument(
        "--history",
        metavar="PATH",
        help=f"the history file (default: ${HISTORY_ENV}, else {DEFAULT_PATH})",
    )
    p.add_argument(
        "--project",
        metavar="DIR",
        help=f"the project folder whose history is read (default: ${PROJECT_VAR}, else here)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="{import,show,prune,report}")
    imp = sub.add_parser("import", help="add archived results.json files (already stored: skipped)")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--keep", type=_positive, default=DEFAULT_KEEP, help=KEEP_HELP)
    show = sub.add_parser("show", help="a table of runs, or of one workflow's durations and rows")
    show.add_argument("--plan", help="only this plan (needed with --workflow if several)")
    show.add_argument(
        "--server",
        metavar="URL",
        help="only the runs against this server (its URL, or 'emulator')",
    )
    show.add_argument("--workflow", metavar="LABEL", help="one workflow's runs")
    show.add_argument("--last", type=_positive, default=20, help="how many runs (default 20)")
    prune = sub.add_parser("prune", help="keep only the last runs of each plan on each server")
    prune.add_argument("--keep", type=_positive, default=DEFAULT_KEEP, help=KEEP_HELP)
    prune.add_argument("--plan", help="only this plan")
    report = sub.add_parser(
        "report", help="a page of charts: each plan's verdicts, each workflow's durations"
    )
    report.add_argument("--plan", action="append", help="only this plan (may be repeated)")
    report.add_argument(
        "--last",
        type=_positive,
        default=DEFAULT_LAST,
        help=f"how many runs (default {DEFAULT_LAST})",
    )
    report.add_argument(
        "--output", "-o", default=HISTORY_FILE, metavar="FILE", help=f"default: {HISTORY_FILE}"
    )
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be 1 or more")
    return value


def _import(path: Path, files: list[str], keep: int) -> int:
    records = []
    for name in files:
        try:
            doc = json.loads(Path(name).read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise HistoryError(f"{name}: file not found; check the path") from None
        except (OSError, UnicodeDecodeError) as e:
            raise HistoryError(f"{name}: cannot be read ({e}); check the file") from None
        except json.JSONDecodeError as e:
            raise HistoryError(
                f"{name}: not JSON (line {e.lineno}: {e.msg}); is it a results.json?"
            ) from None
        records.append(run_from_results(doc, name))
    added = 0
    with HistoryStore.open(path) as store:
        for record in sorted(records, key=lambda r: r.started_at):
            added += store.record(record, keep)
    skipped = len(records) - added
    print(f"{path}: imported {added} run(s), skipped {skipped} already stored")
    return 0


def _show(
    path: Path, plan: str | None, workflow: str | None, last: int, server: str | None = None
) -> int:
    with HistoryStore.open(path, create=False) as store:
        if server is not None:
            server = server_key(server)
            known = store.servers(plan)
            if server not in known:
                of = f" of plan {plan!r}" if plan is not None else ""
                raise HistoryError(
                    f"{path}: no runs{of} on server {server!r}; known: "
                    f"{', '.join(repr(k) for k in known) or 'none'}"
                )
        if workflow is None:
            _print_runs(store.runs(plan, last, server))
            return 0
        plans = store.plans()
        if plan is None:
            if len(plans) != 1:
                raise HistoryError(
                    f"{path}: holds {len(plans)} plans ({', '.join(plans) or 'none'}); "
                    "say which with --plan"
                )
            plan = plans[0]
        elif plan not in plans:
            raise HistoryError(f"{path}: no runs of plan {plan!r}; known: {', '.join(plans)}")
        runs = store.workflow_runs(plan, workflow, last, server)
        if not runs:
            raise HistoryError(f"{path}: plan {plan!r} has no runs of workflow {workflow!r}")
    where = f" on {server}" if server is not None else ""
    print(f"{workflow} in plan {plan}{where}:")
    # several servers: each row says which (their bands are apart too)
    several = len({r.server for r in runs}) > 1
    print(
        f"{'started':24}  {'outcome':11}  {'state':10}  {'duration':>9}  rows"
        + ("  server" if several else "")
    )
    for r in runs:
        rows = ", ".join(f"{s} {m}={v}" for s, m, v in r.rows) or "-"
        dur = "-" if r.duration is None else f"{r.duration:.1f}s"
        line = f"{r.started_at:24}  {r.outcome:11}  {r.state or '-':10}  {dur:>9}  {rows}"
        print(line + (f"  {r.server or '-'}" if several else ""))
    return 0


def _print_runs(runs: list[RunRow]) -> None:
    if not runs:
        print("no runs stored")
        return
    ids = max(len("run id"), *(len(r.run_id) for r in runs))
    head = f"{'started':24}  {'plan':16}  {'verdict':11}  exit  {'passed':>7}  {'run id':{ids}}"
    print(f"{head}  server")
    for r in runs:
        status = "-" if r.exit_status is None else str(r.exit_status)
        counts = f"{r.passed}/{r.workflows}"
        plan = pad(r.plan, 16)
        print(
            f"{r.started_at:24}  {plan}  {r.verdict:11}  {status:>4}  {counts:>7}  "
            f"{r.run_id:{ids}}  {r.server or '-'}"
        )


def _report(path: Path, plans: list[str] | None, last: int, output: Path) -> int:
    with HistoryStore.open(path, create=False) as store:
        known = store.plans()
        unknown = [p for p in plans or [] if p not in known]
        if unknown:
            raise HistoryError(
                f"{path}: no runs of plan {unknown[0]!r}; known: {', '.join(known) or 'none'}"
            )
        text = history_page(store, plans, last=last)
    try:
        write_atomic(output, text)
    except OSError as e:
        raise HistoryError(
            f"{output}: cannot be written ({e.strerror or e}); check the path"
        ) from None
    print(f"{output}: the last {last} runs of {len(plans or known)} plan(s)")
    return 0


def _prune(path: Path, keep: int, plan: str | None) -> int:
    with HistoryStore.open(path, create=False) as store:
        removed = store.prune(keep, plan)
    print(f"{path}: removed {removed} run(s), kept at most {keep} per plan and server")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
