"""Telling someone how a scheduled run ended: notifications and dead-man's-switch pings.

``digest`` turns a finished run's results.json document (and what the history
says about earlier runs) into what a person reads: the verdict, why, when, the
report. ``targets`` sends it through Apprise (an optional extra:
``pip install "aperture-verify[notify]"``) to e-mail, Teams, Slack or
webhooks; ``ping`` tells a Healthchecks or Cronitor monitor that the run
started and how it ended. ``run.RunNotifier`` is what the pytest plugin uses.
Nothing here ever fails a run. See docs/notifications.md.
"""

from __future__ import annotations

from aperture_verify.notify.digest import PastRuns, RunDigest
from aperture_verify.notify.outcome import NotificationOutcome
from aperture_verify.notify.ping import ENV_PING, Pinger
from aperture_verify.notify.run import RunNotifier, record_outcomes
from aperture_verify.notify.targets import ENV_TARGETS, INSTALL, NotifyError, Targets

__all__ = [
    "ENV_PING",
    "ENV_TARGETS",
    "INSTALL",
    "NotificationOutcome",
    "NotifyError",
    "PastRuns",
    "Pinger",
    "RunDigest",
    "RunNotifier",
    "Targets",
    "record_outcomes",
]
