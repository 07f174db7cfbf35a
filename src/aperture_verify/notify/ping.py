"""Dead-man's-switch pings: a monitor is told when the run starts and how it ended.

The Healthchecks.io convention: ``<url>/start`` when the run begins, the bare
``<url>`` when it passed, ``<url>/<exit status>`` when it did not, each with
``?rid=<run id>`` so that overlapping runs are not mixed up, the end carrying
the short summary as its POST body (the monitor keeps it as the log).
Cronitor's telemetry URLs (``cronitor.link``) get its form instead:
``?state=run|complete|fail&series=<run id>``. A monitor alerts when the run
never started or never finished; a ping that fails is a warning, never a
reason to fail the run. See docs/notifications.md.
"""

from __future__ import annotations

import uuid
from typing import Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from aperture_verify.common.redaction import redact
from aperture_verify.notify.outcome import NotificationOutcome
from aperture_verify.notify.urls import shown, url_secrets

__all__ = ["ENV_PING", "Pinger"]

ENV_PING = "APERTURE_PING_URL"
#: (connect, read) seconds: a monitor answers at once or not at all.
PING_TIMEOUT = (3.05, 10.0)
#: Healthchecks keeps the first 100 kB of a ping's body.
MAX_BODY = 100_000
#: Cronitor's message parameter holds up to 2000 characters.
MAX_MESSAGE = 2000

_CRONITOR_HOSTS = ("cronitor.link", "cronitor.io")


def run_uuid(run_id: str) -> str:
    """The run id as a UUID (Healthchecks' ``rid`` must be one)."""
    try:
        return str(uuid.UUID(hex=run_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, run_id))


class Pinger:
    """Pings one monitor URL for one run."""

    def __init__(
        self,
        url: str,
        run_id: str = "",
        *,
        timeout: tuple[float, float] = PING_TIMEOUT,
        session: requests.Session | None = None,
        style: Literal["healthchecks", "cronitor"] | None = None,
    ) -> None:
        self.url = url
        self.rid = run_uuid(run_id) if run_id else str(uuid.uuid4())
        self.timeout = timeout
        self.session = session or requests.Session()
        self.secrets = url_secrets(url)
        host = (urlsplit(url).hostname or "").lower()
        self.style: Literal["healthchecks", "cronitor"] = style or (
            "cronitor" if host.endswith(_CRONITOR_HOSTS) else "healthchecks"
        )

    @property
    def shown(self) -> str:
        return shown(self.url)

    def start(self, run_id: str = "") -> NotificationOutcome:
        """The start of the run *run_id* (the end ping then carries the same id)."""
        if run_id:
            self.rid = run_uuid(run_id)
        if self.style == "cronitor":
            return self._send("start", self._url("", state="run", series=self.rid), None)
        return self._send("start", self._url("/start", rid=self.rid), "")

    def finish(self, exit_status: int, summary: str) -> NotificationOutcome:
        """The end of the run: success when *exit_status* is 0, else a failure."""
        if self.style == "cronitor":
            state = "complete" if exit_status == 0 else "fail"
            url = self._url(
                "",
                state=state,
                series=self.rid,
                status_code=str(exit_status),
                message=summary[:MAX_MESSAGE],
            )
            return self._send("end", url, None)
        suffix = "" if exit_status == 0 else f"/{exit_status}"
        body = summary.encode("utf-8")[:MAX_BODY].decode("utf-8", "ignore")
        return self._send("end", self._url(suffix, rid=self.rid), body)

    def _url(self, suffix: str, **params: str) -> str:
        parts = urlsplit(self.url)
        query = "&".join(q for q in (parts.query, urlencode(params)) if q)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix, query=query))

    def _send(
        self, event: Literal["start", "end"], url: str, body: str | None
    ) -> NotificationOutcome:
        """GET (Cronitor) or POST *body*; never raises."""
        try:
            if body is None:
                response = self.session.get(url, timeout=self.timeout)
            else:
                response = self.session.post(
                    url,
                    data=body.encode("utf-8"),
                    headers={"Content-Type": "text/plain; charset=utf-8"},
                    timeout=self.timeout,
                )
        except requests.Timeout:
            why = f"no answer within {self.timeout[1]:g}s"
            return NotificationOutcome("ping", self.shown, "timeout", why, event)
        except requests.RequestException as e:
            why = redact(f"{type(e).__name__}: {e}", [*self.secrets, url])
            return NotificationOutcome("ping", self.shown, "failed", why, event)
        if not response.ok:
            text = " ".join(response.text.split())[:200]
            why = redact(f"HTTP {response.status_code} {response.reason}: {text}", self.secrets)
            return NotificationOutcome("ping", self.shown, "failed", why, event)
        return NotificationOutcome("ping", self.shown, "sent", event=event)

    def close(self) -> None:
        self.session.close()
