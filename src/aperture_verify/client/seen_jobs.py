"""What one client has seen of jobs: the ids it knows, the states it warned about.

Reconciling an execute whose answer was lost rests on it: a job listed after
the failure is adopted only if it is new to this client, of the workflow, and
submitted since the call began (see ``DataStudioClient.execute``).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from aperture_verify.client.http import logger
from aperture_verify.client.models import Job
from aperture_verify.client.profile import ApiProfile
from aperture_verify.errors import TransportError


class JobBook:
    """The jobs one client has seen. Thread-safe."""

    def __init__(self, profile: ApiProfile, redact: Callable[[str], str]) -> None:
        self._profile = profile
        self._redact = redact
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._warned_states: set[str] = set()

    def remember(self, job: Job) -> Job:
        """*job*, noted as seen, its server error text without any credential."""
        with self._lock:
            self._seen.add(job.id)
        self.note_state(job)
        if job.error:  # the server's text: it may repeat the credential back
            job = dataclasses.replace(job, error=self._redact(job.error))
        return job

    def note_state(self, job: Job) -> None:
        """Warn once per state that the API profile does not know."""
        if self._profile.is_known(job.state):
            return
        with self._lock:
            if job.state in self._warned_states:
                return
            self._warned_states.add(job.state)
        ended = (
            "it has an end time, so it is judged ended"
            if job.finished_at
            else ("treating it as still running")
        )
        logger.warning(
            "job %s of workflow %r is in state %r, which the API profile does not know; "
            "%s (add %r to failed_states, cancelled_states or completed_states in "
            "[server.profile] if it is final, to running_states if not)",
            job.id,
            job.workflow_label,
            job.state,
            ended,
            job.state,
        )

    def adopt(
        self, label: str, since: datetime, jobs: Iterable[Job], execute_url: str
    ) -> Job | None:
        """The one job of *jobs* that an execute of *label* begun at *since* started,
        or ``None`` when it started none; several raise ``TransportError``."""
        listed = list(jobs)
        with self._lock:
            candidates = [
                job
                for job in listed
                if job.workflow_label == label
                and job.id not in self._seen
                and job.submitted_at is not None
                and job.submitted_at >= since
            ]
            # Whatever is listed now is not ours if not adopted now: a later
            # reconciliation of this call must not pick it up.
            self._seen.update(job.id for job in listed)
        if len(candidates) > 1:
            ids = ", ".join(job.id for job in candidates)
            raise TransportError(
                f"execute of '{label}' failed in a way that may have started a job, and "
                f"the server now has {len(candidates)} new jobs of it ({ids}): execute "
                "may have started several jobs; check them in Data Studio and cancel "
                "the extra ones",
                url=execute_url,
                method="POST",
            )
        if candidates:
            logger.info(
                "execute of %r: adopted job %s, which the server started although "
                "its answer was lost",
                label,
                candidates[0].id,
            )
            return candidates[0]
        logger.info("execute of %r: the server started no job; sending execute again", label)
        return None
