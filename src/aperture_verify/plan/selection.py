"""Which part of a plan runs: ``--phases``, ``--from-phase``/``--to-phase``, ``--workflows``.

Also the list syntax those options and ``--run`` share: labels separated by
``,`` (and phases by ``;`` for ``--run``), each label optionally quoted with
``"`` or ``'`` so that it may hold a separator (a quote inside a quoted label is
written twice: ``'Käse ''Spezial'''`` is ``Käse 'Spezial'``). Every mistake is a one-line
:class:`~aperture_verify.errors.PlanError` naming the option.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from aperture_verify.common.labels import nfc
from aperture_verify.errors import PlanError
from aperture_verify.plan.model import Plan, WorkflowSpec
from aperture_verify.plan.schema import listing, show, suggest

_QUOTES = "\"'"


def parse_chain(text: str, option: str) -> tuple[tuple[str, ...], ...]:
    """``"W1; W2, W3; W4"`` → ``(("W1",), ("W2", "W3"), ("W4",))``: phases of labels."""
    groups = _split(text, option, separators=";,")
    seen: dict[str, int] = {}
    for index, group in enumerate(groups, 1):
        for label in group:
            if label in seen:
                raise PlanError(
                    option,
                    "",
                    f"workflow {show(label)} is listed twice (phases {seen[label]} and {index})",
                    "a workflow runs once per plan; remove one",
                )
            seen[label] = index
    return groups


def parse_labels(text: str, option: str) -> tuple[str, ...]:
    """``"W1, 'a, b'"`` → ``("W1", "a, b")``: a list of labels, each once."""
    (labels,) = _split(text, option, separators=",")
    for i, label in enumerate(labels):
        if label in labels[:i]:
            raise PlanError(option, "", f"{show(label)} is listed twice", "remove one")
    return labels


def _split(text: str, option: str, *, separators: str) -> tuple[tuple[str, ...], ...]:
    """Split *text* at *separators* (``;`` between groups, ``,`` inside), honouring quotes."""
    text = nfc(text)  # a label typed in NFD (decomposed) is the same label
    groups: list[tuple[str, ...]] = []
    labels: list[str] = []
    fix = (
        'separate labels with "," and phases with ";", quote a label holding one: '
        '--run "Workflow 1; \\"A, B\\", Workflow 3"'
        if ";" in separators
        else 'separate labels with ",", quote a label holding one: "\\"A, B\\", C"'
    )
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        position = i
        if i < n and text[i] in _QUOTES:
            quote, i, chars = text[i], i + 1, []
            while True:
                if i >= n:
                    raise PlanError(
                        option, "", f"the quote {quote} at character {position + 1} is not closed",
                        fix,
                    )  # fmt: skip
                if text[i] == quote:
                    if i + 1 < n and text[i + 1] == quote:
                        chars.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                chars.append(text[i])
                i += 1
            label = "".join(chars)
            while i < n and text[i].isspace():
                i += 1
            if i < n and text[i] not in separators:
                raise PlanError(
                    option, "", f"unexpected {show(text[i])} after the quoted label {show(label)} "
                    f"at character {i + 1}", fix,
                )  # fmt: skip
        else:
            start = i
            while i < n and text[i] not in separators:
                i += 1
            label = text[start:i].strip()
        if not label.strip() or label != label.strip():
            where = f"at character {position + 1}"
            raise PlanError(
                option, "", f"empty label, or one with leading or trailing spaces, {where} of "
                f"{show(text)}", fix,
            )  # fmt: skip
        if any(not c.isprintable() for c in label):
            raise PlanError(option, "", f"label {show(label)} holds a control character", fix)
        labels.append(label)
        if i >= n:
            groups.append(tuple(labels))
            return tuple(groups)
        if text[i] == ";":
            groups.append(tuple(labels))
            labels = []
        i += 1


@dataclass(frozen=True)
class Selection:
    """The workflows of a plan that run, and what the selection left out."""

    plan: Plan
    labels: frozenset[str]  # the workflows that run
    reasons: tuple[str, ...] = ()  # the options that narrowed the plan, for the message

    @classmethod
    def everything(cls, plan: Plan) -> Selection:
        return cls(plan, frozenset(w.label for w in plan.workflows))

    @property
    def is_whole_plan(self) -> bool:
        return len(self.labels) == len(self.plan.workflows)

    @property
    def workflows(self) -> tuple[WorkflowSpec, ...]:
        return tuple(w for w in self.plan.workflows if w.label in self.labels)

    @property
    def deselected(self) -> tuple[WorkflowSpec, ...]:
        return tuple(w for w in self.plan.workflows if w.label not in self.labels)

    @property
    def phases(self) -> tuple[str, ...]:
        """The phases with at least one workflow that runs, in plan order."""
        return tuple(
            p.name for p in self.plan.phases if any(w.label in self.labels for w in p.workflows)
        )

    @property
    def widest_phase(self) -> int:
        return max(
            (sum(1 for w in p.workflows if w.label in self.labels) for p in self.plan.phases),
            default=0,
        )

    def narrowed(self, labels: Collection[str], reason: str) -> Selection:
        return Selection(self.plan, self.labels & frozenset(labels), (*self.reasons, reason))

    def describe_deselected(self) -> str:
        """``ingest (Workflow 1); publish (Workflow 7)``: what does not run, by phase."""
        parts = []
        for phase in self.plan.phases:
            out = [w.label for w in phase.workflows if w.label not in self.labels]
            if len(out) == len(phase.workflows):
                parts.append(f"{phase.name} (all {len(out)})")
            elif out:
                parts.append(f"{phase.name} ({', '.join(out)})")
        return "; ".join(parts)


def select(
    plan: Plan,
    *,
    phases: tuple[str, str] | None = None,
    from_phase: tuple[str, str] | None = None,
    to_phase: tuple[str, str] | None = None,
    workflows: tuple[str, str] | None = None,
) -> Selection:
    """The part of *plan* the options ask for; each option is ``(text, option name)``."""
    names = [p.name for p in plan.phases]
    selection = Selection.everything(plan)

    def known_phase(name: str, option: str) -> int:
        if name not in names:
            raise PlanError(
                option, "", f"no phase {show(name)} in plan {show(plan.name)}",
                f"{suggest(name, names)}use one of: {listing(names)}",
            )  # fmt: skip
        return names.index(name)

    def labels_of(indices: Sequence[int]) -> set[str]:
        return {w.label for i in indices for w in plan.phases[i].workflows}

    if phases is not None:
        text, option = phases
        chosen = [known_phase(p, option) for p in parse_labels(text, option)]
        selection = selection.narrowed(labels_of(chosen), f"{option} {text}")
    first, last = 0, len(names) - 1
    if from_phase is not None:
        first = known_phase(nfc(from_phase[0].strip()), from_phase[1])
    if to_phase is not None:
        last = known_phase(nfc(to_phase[0].strip()), to_phase[1])
    if first > last:
        assert from_phase is not None and to_phase is not None
        raise PlanError(
            from_phase[1], "", f"phase {show(names[first])} comes after {to_phase[1]} "
            f"{show(names[last])} in plan {show(plan.name)}",
            f"the plan's order is: {listing(names)}",
        )  # fmt: skip
    if from_phase is not None or to_phase is not None:
        what = " ".join(f"{o[1]} {o[0].strip()}" for o in (from_phase, to_phase) if o is not None)
        selection = selection.narrowed(labels_of(range(first, last + 1)), what)
    if workflows is not None:
        text, option = workflows
        wanted = parse_labels(text, option)
        every = [w.label for w in plan.workflows]
        for label in wanted:
            if label not in every:
                raise PlanError(
                    option, "", f"no workflow {show(label)} in plan {show(plan.name)}",
                    f"{suggest(label, every)}use one of: {listing(every)}",
                )  # fmt: skip
            if label not in selection.labels:
                phase = next(w.phase for w in plan.workflows if w.label == label)
                raise PlanError(
                    option, "", f"workflow {show(label)} is in phase {show(phase)}, which "
                    f"{' and '.join(selection.reasons)} leaves out",
                    "widen the phase selection or drop the workflow",
                )  # fmt: skip
        selection = selection.narrowed(wanted, f"{option} {text}")
    return selection
