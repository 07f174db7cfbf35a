"""The record of what the doctor found: one ``Finding`` per need, and the helpers that add them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aperture_verify.client.profile import ApiProfile
from aperture_verify.doctor.document import ApiDocument, Operation


@dataclass
class Finding:
    """One need of the suite and what the document says about it."""

    need: str
    status: str  # "ok" | "differs" | "missing" | "ambiguous"
    found: str = ""
    configured: str = ""
    keys: dict[str, Any] = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Inference:
    findings: list[Finding] = field(default_factory=list)

    @property
    def proposal(self) -> dict[str, Any]:
        keys: dict[str, Any] = {}
        for f in self.findings:
            keys.update(f.keys)
        return keys

    @property
    def complete(self) -> bool:
        return all(f.status in ("ok", "differs") for f in self.findings)


class Recorder:
    """Adds findings while the rules look through one document."""

    def __init__(self, doc: ApiDocument, profile: ApiProfile, api: str) -> None:
        self.doc, self.p, self.api = doc, profile, api
        self.out = Inference()

    def add(
        self,
        need: str,
        found: str | None,
        configured: str,
        keys: dict[str, Any],
        *,
        candidates: list[str] | None = None,
        note: str = "",
    ) -> None:
        if candidates and len(candidates) > 1:
            self.out.findings.append(
                Finding(need, "ambiguous", configured=configured, candidates=candidates, note=note)
            )
        elif found is None:
            self.out.findings.append(Finding(need, "missing", configured=configured, note=note))
        else:
            status = "ok" if found == configured else "differs"
            self.out.findings.append(Finding(need, status, found, configured, keys, note=note))

    # -- routes ---------------------------------------------------------------------------

    def ops(self, method: str | None = None, params: int | None = None) -> list[Operation]:
        return [
            o
            for o in self.doc.operations
            if (method is None or o.method == method)
            and (params is None or len(o.path_params) == params)
        ]
