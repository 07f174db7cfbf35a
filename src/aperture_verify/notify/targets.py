"""Notification targets (Apprise URLs) and sending a run's message to the ones that are due.

The URLs come from ``APERTURE_NOTIFY`` (separated by spaces or new lines) or
from the Apprise config file that ``[notify] config`` names; never from
plans.toml. A target can be given the kinds of run it wants as Apprise tags
(``failure,recovery=mailtos://…`` in the variable, ``tag:`` in a config file);
one without such a tag gets ``[notify] on``. E-mail targets get the complete
message with report.html attached, the others the short one.

Every URL carries secrets, so a target is only ever shown as
``scheme://host/…`` (with Apprise's own privacy form of its user and
password), and every text that leaves this module (a failure's reason) goes
through ``redact`` with every secret part of every URL. Apprise's own logging
is kept out of the run's log while it works: its debug lines quote the
configuration as it was given.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aperture_verify.common.redaction import redact
from aperture_verify.errors import ApertureError
from aperture_verify.notify.digest import RunDigest
from aperture_verify.notify.outcome import NotificationOutcome
from aperture_verify.notify.urls import shown, url_secrets
from aperture_verify.plan.model import NOTIFY_EVENTS, NotifySettings

__all__ = ["ENV_TARGETS", "INSTALL", "NotifyError", "Target", "Targets"]

ENV_TARGETS = "APERTURE_NOTIFY"
INSTALL = 'pip install "aperture-verify[notify]"'
DOCS = "see docs/notifications.md"


class NotifyError(ApertureError):
    """Notifications are configured wrongly: one line naming the source and the fix."""


@dataclass(frozen=True)
class Target:
    """One Apprise service and the kinds of run it is sent."""

    service: Any  # apprise's NotifyBase
    shown: str  # the URL without its secrets
    on: frozenset[str]
    email: bool


class Targets:
    """The run's notification targets, loaded once when the run is configured."""

    def __init__(self, targets: Sequence[Target], secrets: Sequence[str]) -> None:
        self.targets = tuple(targets)
        self.secrets = tuple(secrets)

    @classmethod
    def load(cls, settings: NotifySettings, environ: Mapping[str, str]) -> Targets | None:
        """The targets of ``APERTURE_NOTIFY`` and ``[notify] config``; ``None`` when neither
        is set. A mistake is a ``NotifyError``: nothing is run."""
        text = environ.get(ENV_TARGETS, "").strip()
        if not text and settings.config is None:
            return None
        source = ENV_TARGETS if text else f"[notify] config = {settings.config}"
        try:
            with warnings.catch_warnings():  # its import warns of a deprecated module
                warnings.simplefilter("ignore", DeprecationWarning)
                import apprise
        except ImportError:
            raise NotifyError(
                f"{source} asks for notifications, but Apprise is not installed: {INSTALL}"
            ) from None
        asset = apprise.AppriseAsset(storage_mode="memory")  # writes nothing in $HOME
        secrets: list[str] = []
        services: list[tuple[Any, str]] = []  # (service, its URL as given)
        for tags, url in _entries(text):
            secrets += url_secrets(url)
            with _apprise_log() as problems:
                service = apprise.Apprise.instantiate(url, asset=asset, tag=tags or None)
            if service is None:
                why = f" ({_told(problems[0], [url], secrets)})" if problems else ""
                raise NotifyError(
                    f"{ENV_TARGETS}: {shown(url)} is not a notification URL Apprise can use"
                    f"{why}; check its scheme and fields ({DOCS})"
                )
            services.append((service, url))
        if settings.config is not None:
            services += _from_file(apprise, asset, settings.config, secrets)
        targets = []
        for service, given in services:
            full = service.url(privacy=False)
            secrets += url_secrets(full)
            on = frozenset(str(t) for t in service.tags) & set(NOTIFY_EVENTS)
            targets.append(
                Target(service, shown(given), on or frozenset(settings.on), _is_email(service))
            )
        return cls(targets, secrets)

    def due(self, events: frozenset[str]) -> list[Target]:
        return [t for t in self.targets if t.on & events]

    def send(
        self, digest: RunDigest, attachment: Path | None, timeout: float
    ) -> list[NotificationOutcome]:
        """One message to each target due for this run, all within *timeout* seconds.

        E-mail gets the complete text and *attachment*; chat and webhooks the short
        text. Never raises: a failure is an outcome.
        """
        due = self.due(digest.events)
        if not due:
            return []
        deadline = time.monotonic() + timeout
        mails = [t for t in due if t.email]
        others = [t for t in due if not t.email]
        outcomes = []
        attach = str(attachment) if attachment is not None and attachment.is_file() else None
        groups = ((mails, digest.full_text(), attach), (others, digest.short_text(), None))
        for group, body, files in groups:
            if group:
                left = max(0.1, deadline - time.monotonic())  # 0 would mean no limit
                outcomes += self._send(group, digest, body, files, left)
        return outcomes

    def _send(
        self,
        group: list[Target],
        digest: RunDigest,
        body: str,
        attach: str | None,
        timeout: float,
    ) -> list[NotificationOutcome]:
        import apprise

        try:
            sender = apprise.Apprise()
            for target in group:
                _limit(target.service, timeout)
                sender.add(target.service)
            with _apprise_log():
                result = sender.notify(
                    body=redact(body, self.secrets),
                    title=redact(digest.title, self.secrets),
                    notify_type=digest.notify_type,
                    body_format=apprise.NotifyFormat.TEXT,
                    attach=attach,
                    timeout=timeout,
                )
            by_id = {r.url_id or r.url: r for r in result}
        except Exception as e:  # a notifier never fails the run
            why = redact(f"{type(e).__name__}: {e}", self.secrets)
            return [NotificationOutcome("notification", t.shown, "failed", why) for t in group]
        outcomes = []
        for target in group:
            found = by_id.get(target.service.url_id() or target.service.url(privacy=True))
            outcomes.append(self._outcome(target, found, timeout))
        return outcomes

    def _outcome(self, target: Target, found: Any, timeout: float) -> NotificationOutcome:
        from apprise import AppriseResultStatus

        if found is None:
            return NotificationOutcome("notification", target.shown, "failed", "not attempted")
        if found.status == AppriseResultStatus.SUCCESS:
            return NotificationOutcome("notification", target.shown, "sent")
        if found.status == AppriseResultStatus.TIMEOUT:
            why = f"no answer within {timeout:.0f}s (the [notify] timeout)"
            return NotificationOutcome("notification", target.shown, "timeout", why)
        said = [e.message for e in found.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
        why = redact(said[-1], self.secrets) if said else "the service refused it"
        return NotificationOutcome("notification", target.shown, "failed", why)


def _entries(text: str) -> Iterator[tuple[list[str], str]]:
    """``APERTURE_NOTIFY``'s targets: URLs separated by spaces or new lines, each
    optionally tagged ``failure,recovery=URL``."""
    for token in text.split():
        head, sep, _ = token.partition("://")
        if sep and "=" in head:
            tags, url = token.split("=", 1)
            yield [t.strip() for t in tags.split(",") if t.strip()], url
        else:
            yield [], token


def _from_file(apprise: Any, asset: Any, path: Path, secrets: list[str]) -> list[tuple[Any, str]]:
    """The services of an Apprise config file (YAML or TEXT); a file Apprise cannot read
    whole is refused, naming it."""
    where = f"[notify] config: {path}"
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotifyError(
            f"{where}: no such file; create it with your Apprise URLs, or fix the path ({DOCS})"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise NotifyError(f"{where}: cannot be read: {e.__class__.__name__}: {e}") from None
    urls = [t.rstrip(":,\"'") for t in re.findall(r"[A-Za-z0-9+.-]+://\S+", content)]
    for url in urls:
        secrets += url_secrets(url)
    config = apprise.AppriseConfig(asset=asset)
    with _apprise_log() as problems:
        config.add_config(content, asset=asset)
        services = list(config.services())
    problems = [p for p in problems if "memory://" not in p]  # "could not load the file"
    if problems:
        said = _told(problems[0], urls, secrets)
        raise NotifyError(f"{where}: {said}; fix the file ({DOCS})")
    if not services:
        raise NotifyError(f"{where}: holds no notification URL; add one ({DOCS})")
    return [(s, s.url(privacy=False)) for s in services]


def _limit(service: Any, seconds: float) -> None:
    """No socket wait of *service* much longer than the time limit *seconds*: Apprise
    stops waiting for it then, but its thread would keep the process from exiting until
    its own timeouts ran out (15 s for SMTP). A second more, so that the limit, not the
    socket, ends the wait (the outcome says "timeout")."""
    for name in ("socket_connect_timeout", "socket_read_timeout"):
        current = getattr(service, name, None)
        if isinstance(current, int | float) and current > seconds + 1:
            setattr(service, name, seconds + 1)


def _told(problem: str, urls: Sequence[str], secrets: Sequence[str]) -> str:
    """Apprise's *problem* for the log: each URL it quotes shown without its secrets."""
    for url in sorted(urls, key=len, reverse=True):
        problem = problem.replace(url, shown(url))
    return redact(problem, secrets)


def _is_email(service: Any) -> bool:
    try:
        from apprise.plugins.email import NotifyEmail
    except ImportError:  # pragma: no cover - moved in a later Apprise
        return str(getattr(service, "service_name", "")) == "E-Mail"
    return isinstance(service, NotifyEmail)


class _Problems(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _apprise_log() -> Iterator[list[str]]:
    """Apprise's log kept to itself (its debug lines quote URLs whole); its warnings and
    errors collected, to be shown redacted as a reason. The deprecation warnings of the
    modules it loads on first use are not the run's business either."""
    logger = logging.getLogger("apprise")
    handler = _Problems()
    propagate = logger.propagate
    logger.propagate = False
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
