"""``aperture-emulator``: run the emulator standalone, until Ctrl+C or SIGTERM.

Credentials come from the environment, never from flags (flags show up in
``ps``): ``APERTURE_EMULATOR_API_KEY`` for the 2.x API key, and
``APERTURE_EMULATOR_PASSWORD`` for the 1.x ``--user``. Without a key, one is
generated and shown once, since this is a local stand-in.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from aperture_verify.client.dialect import (
    DEFAULT_DIALECT,
    Dialect,
    dialect_names,
    load_dialect,
    load_profile_file,
)
from aperture_verify.common.durations import parse_duration
from aperture_verify.emulator.emulator import Emulator
from aperture_verify.emulator.scenario import load_scenario
from aperture_verify.emulator.wire import RecordedRequest
from aperture_verify.errors import PlanError

KEY_VARIABLE = "APERTURE_EMULATOR_API_KEY"
PASSWORD_VARIABLE = "APERTURE_EMULATOR_PASSWORD"
PROG = "aperture-emulator"


class _UsageError(Exception):
    """Bad input: shown as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # one line, not argparse's usage block: the flag and what to do
        raise _UsageError(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Serve the Aperture Data Studio REST API locally from a scenario file. "
        f"API key from ${KEY_VARIABLE} (generated if unset); the --user "
        f"password from ${PASSWORD_VARIABLE}.",
    )
    parser.add_argument(
        "--workflows",
        required=True,
        type=Path,
        metavar="FILE",
        help="scenario TOML file, e.g. demo/workflows.toml",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=7701, help="port (7701; 0 = any free port)")
    parser.add_argument(
        "--environment",
        default=None,
        help="environment label of API keys (scenario's, else 'default')",
    )
    parser.add_argument(
        "--token-lifetime",
        default=None,
        metavar="DURATION",
        help="lifetime of 1.x login tokens, e.g. 1h (scenario's, else 1h)",
    )
    parser.add_argument(
        "--user",
        default=None,
        metavar="NAME",
        help=f"a 1.x login user; password from ${PASSWORD_VARIABLE}",
    )
    speaks = parser.add_mutually_exclusive_group()
    speaks.add_argument(
        "--dialect",
        default=None,
        metavar="NAME",
        help=f"API dialect to speak: {', '.join(dialect_names())} (default contract)",
    )
    speaks.add_argument(
        "--profile",
        default=None,
        type=Path,
        metavar="FILE",
        help="speak the API described by a dialect file ([dialect] and [profile] tables)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=2,
        metavar="N",
        help="entries per page of a paged list when the client asks for no size (2)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for duration jitter")
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")
    return parser


def _access_log(rec: RecordedRequest) -> None:
    # method, path, status and time only: never headers or bodies (credentials live there)
    status = "dropped" if rec.status is None else str(rec.status)
    if rec.outage is not None:
        status = f"{'reset' if rec.status is None else status} (outage)"
    elapsed = f"{rec.elapsed * 1000:.0f}ms" if rec.elapsed is not None else "-"
    print(f"{rec.method} {rec.path} {status} {elapsed}", file=sys.stderr, flush=True)


def _build(args: argparse.Namespace) -> tuple[Emulator, str | None]:
    """The emulator the flags describe, and the API key generated for it (if any)."""
    try:
        scenario = load_scenario(args.workflows)
    except PlanError as e:
        raise _UsageError(f"--workflows: {e}") from e
    token_lifetime = None
    if args.token_lifetime is not None:
        try:
            token_lifetime = parse_duration(args.token_lifetime)
        except ValueError as e:
            raise _UsageError(f"--token-lifetime: {e}") from e
        if token_lifetime <= 0:
            raise _UsageError("--token-lifetime: must be longer than 0s (e.g. 1h)")
    dialect = _dialect(args)
    if args.page_size < 1:
        raise _UsageError(f"--page-size: {args.page_size} is not a page size (use 1 or more)")
    if not 0 <= args.port <= 65535:
        raise _UsageError(f"--port: {args.port} is not a port number (use 1-65535, or 0)")
    keys = list(scenario.api_keys)
    generated = None
    env_key = os.environ.get(KEY_VARIABLE, "").strip()
    if env_key:
        keys.append(env_key)
    elif not keys:
        generated = secrets.token_urlsafe(24)
        keys.append(generated)
    users = dict(scenario.users)
    if args.user is not None:
        password = os.environ.get(PASSWORD_VARIABLE)
        if not password:
            raise _UsageError(
                f"--user {args.user}: set ${PASSWORD_VARIABLE} to the password "
                "this user logs in with"
            )
        users[args.user] = password
    emulator = Emulator(
        scenario,
        api_keys=keys,
        users=users,
        environment=args.environment,
        token_lifetime=token_lifetime,
        host=args.host,
        port=args.port,
        seed=args.seed,
        profile=dialect.profile,
        docs=dialect.docs,
        page_size=args.page_size,
        on_request=None if args.quiet else _access_log,
    )
    return emulator, generated


def _dialect(args: argparse.Namespace) -> Dialect:
    if args.profile is not None:
        try:
            return load_profile_file(args.profile)
        except PlanError as e:
            raise _UsageError(f"--profile: {e}") from e
    try:
        return load_dialect(args.dialect or DEFAULT_DIALECT)
    except PlanError as e:
        raise _UsageError(f"--dialect: {e.problem}; {e.fix}") from e


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM; 0 on a clean stop, 2 on bad input."""
    try:
        args = _parser().parse_args(argv)
        emulator, generated = _build(args)
        try:
            emulator.start()
        except OSError as e:
            raise _UsageError(
                f"--port {args.port}: cannot listen on {args.host}:{args.port} "
                f"({e.strerror or e}); choose another --port or stop what uses it"
            ) from e
    except _UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    count = len(emulator.workflows)
    print(f"Aperture Data Studio emulator: {count} workflows from {args.workflows}")
    speaks = (
        f"profile {args.profile}"
        if args.profile
        else f"dialect {args.dialect or DEFAULT_DIALECT!r}"
    )
    print(f"Speaking {speaks}; API document at {emulator.url}{emulator.docs.ui}")
    if generated is not None:
        print(
            f"No ${KEY_VARIABLE} was set, so this run generated an API key:\n"
            f"    {generated}\n"
            f"Send it as 'Authorization: {emulator.environment} <key>', or set "
            f"${KEY_VARIABLE} before starting to choose your own."
        )
    print(f"Listening on {emulator.url}  (Ctrl+C to stop)", flush=True)
    try:
        # a timed wait, so signals are handled promptly on every platform
        while not stop.wait(0.2):
            pass
    finally:
        emulator.stop()
    print("Emulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
