"""What the live answers established, and the small readings the live checks share.

``LiveResult`` collects keys, findings and lines; ``trial`` builds the profile
a check reads with; the rest read JSON objects and the document's lists.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aperture_verify.client.profile import PAGING_KEYS, ApiProfile
from aperture_verify.client.profile_keys import apply_overrides
from aperture_verify.doctor.document import ApiDocument
from aperture_verify.doctor.fields import leaves, norm
from aperture_verify.doctor.recorder import Finding
from aperture_verify.errors import PlanError


@dataclass
class LiveResult:
    """What the live answers established: keys, findings (replacing the document's by
    need), lines to print, and the login problem that stopped them, if any."""

    keys: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    error: str | None = None

    def found(
        self, need: str, what: str, keys: dict[str, Any], base: ApiProfile, configured: str = ""
    ) -> None:
        """*need* established as *what* by *keys*: ``ok`` when *base* has them already."""
        self.keys.update(keys)
        same = all(getattr(base, k) == v for k, v in keys.items())
        only = next(iter(keys)) if len(keys) == 1 else ""
        was = getattr(base, only) if only else "-"
        shown = configured or (f'"{was}"' if was == "" else str(was))
        self.findings.append(
            Finding(need, "ok" if same else "differs", what, shown, keys, note="live")
        )

    def undecided(self, need: str, candidates: list[str], note: str) -> None:
        kind = "ambiguous" if len(candidates) > 1 else "missing"
        self.findings.append(Finding(need, kind, candidates=candidates, note=note))


def trial(base: ApiProfile, keys: dict[str, Any]) -> ApiProfile:
    """*base* with *keys*; a new way to follow pages replaces the old one."""
    if any(k in keys for k in PAGING_KEYS):
        cleared: dict[str, Any] = {k: "" for k in PAGING_KEYS}
        base = dataclasses.replace(base, **cleared)
    try:
        return apply_overrides(base, keys, "the proposal")
    except PlanError:
        return base


def leaves_of(value: Any, prefix: str = "", depth: int = 3) -> dict[str, Any]:
    """Every non-object value of a JSON object by dotted path (lists are leaves)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict) and depth:
        for key, sub in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(sub, dict) and sub:
                out.update(leaves_of(sub, path, depth - 1))
            else:
                out[path] = sub
    return out


def props_of(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return leaves(schema)


def preferred(found: list[str], names: tuple[str, ...], hint: str) -> str | None:
    wanted = [norm(n) for n in ((hint,) if hint else ()) + names]
    ranked = sorted(found, key=lambda k: (wanted.index(norm(k)) if norm(k) in wanted else 99, k))
    return ranked[0] if ranked else None


def page_params(doc: ApiDocument | None, path: str) -> dict[str, Any]:
    params: tuple[str, ...] = ()
    for op in doc.operations if doc else ():
        if op.method == "GET" and op.path.split("{")[0] == path.split("{")[0]:
            params = op.query_params
    page = next((q for q in params if norm(q) in ("page", "pagenumber", "pageindex")), "page")
    size = next((q for q in params if norm(q) in ("size", "pagesize", "limit", "perpage")), "")
    return {"page_param": page, "page_size_param": size}


def quote_space(space: str) -> str:
    return quote(space, safe="")
