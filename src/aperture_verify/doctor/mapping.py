"""What the suite needs, found in an API document, and compared with the configured profile.

Each need (a route, a field, the state names...) becomes a ``Finding``: found
as configured, found under another path or name, missing, or ambiguous (two
candidates: both shown, neither chosen). The profile keys of every finding
together are the proposed ``[server.profile]``.
"""

from __future__ import annotations

from aperture_verify.client.profile import ApiProfile
from aperture_verify.doctor.document import ApiDocument
from aperture_verify.doctor.jobfields import FieldRules
from aperture_verify.doctor.recorder import Finding, Inference
from aperture_verify.doctor.routes import RouteRules

__all__ = ["Finding", "Inference", "infer"]


class _Infer(RouteRules, FieldRules):
    def run(self) -> Inference:
        job_op = self.job_route(self.execute_route())
        job = job_op.success[1] if job_op else {}
        state = self.job_fields(job)
        self.lists(state)
        self.cancel_route(job_op)
        self.error_field()
        if self.api == "v1":
            self.login()
        return self.out


def infer(doc: ApiDocument, profile: ApiProfile, api: str) -> Inference:
    """Every need of the suite, looked up in *doc* and compared with *profile*."""
    return _Infer(doc, profile, api).run()
