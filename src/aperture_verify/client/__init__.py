"""The Data Studio REST client.

``client`` holds the verbs (list workflows, execute, get job, cancel), ``http``
the one core ``request()`` they go through (timeouts, auth, retries, error
translation), ``auth`` the two credential forms, ``retry`` the backoff policy,
``failures`` the classification of a failed attempt, ``decode`` and ``models``
the typed views of the server's JSON, and ``profile`` every path, field and
state name of the REST contract.
"""

from __future__ import annotations

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.client.models import Job, Step, Workflow
from aperture_verify.client.profile import ApiProfile
from aperture_verify.client.retry import RetryPolicy

__all__ = [
    "ApiProfile",
    "Credentials",
    "DataStudioClient",
    "Job",
    "RetryPolicy",
    "Step",
    "Workflow",
]
