"""Server JSON to typed models, through the API profile.

Every way a body can be the wrong shape becomes a ``ProtocolError`` naming the
request and what was wrong; no ``KeyError`` or ``TypeError`` leaks out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aperture_verify.client.models import Job, Step, Workflow
from aperture_verify.client.profile import MISSING, ApiProfile, get_path
from aperture_verify.common.timestamps import parse_timestamp
from aperture_verify.errors import ProtocolError

#: Where a listed parameter or source keeps its name, when it is an object.
_NAME_KEYS = ("name", "externalLabel", "label", "sourceExternalLabel")


def _names(value: object) -> frozenset[str] | None:
    """The names in a workflow's parameter or source list, or ``None`` when the server
    lists none or in a shape not understood (then nothing is checked against it).

    Understood: a list of names, a list of objects each with a name under one of
    ``_NAME_KEYS``, or an object keyed by name.
    """
    if isinstance(value, dict):
        return frozenset(str(k) for k in value)
    if not isinstance(value, list):
        return None
    names = set()
    for item in value:
        if isinstance(item, str):
            names.add(item)
            continue
        found = next(
            (
                item[k]
                for k in _NAME_KEYS
                if isinstance(item, dict) and isinstance(item.get(k), str)
            ),
            None,
        )
        if found is None:
            return None
        names.add(found)
    return frozenset(names)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


#: Strings a published/draft field may hold that mean it is not there.
_SAYS_NO = frozenset({"", "false", "no", "0", "none", "null"})


class Decoder:
    """Turns bodies of one request into models; errors name ``<METHOD> <URL>``."""

    def __init__(self, profile: ApiProfile, method: str, url: str) -> None:
        self.profile = profile
        self.method = method
        self.url = url

    def fail(self, problem: str) -> ProtocolError:
        return ProtocolError(
            f"{self.method} {self.url}: unexpected response: {problem} "
            "(check the API profile against the server's Swagger)",
            method=self.method,
            url=self.url,
        )

    def as_obj(self, value: object, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} is {_kind(value)}, expected an object")
        return value

    def as_list(self, value: object, what: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(f"{what} is {_kind(value)}, expected a list")
        return value

    @staticmethod
    def get(data: dict[str, Any], key: str) -> Any:
        """The value at field path *key* (``timing.started``), ``None`` when absent."""
        if not key:
            return None
        value = get_path(data, key)
        return None if value is MISSING else value

    def text(
        self, data: dict[str, Any], key: str, what: str, *, required: bool = True
    ) -> str | None:
        value = self.get(data, key)
        if value is None:
            if required:
                raise self.fail(f"{what} has no '{key}'")
            return None
        if not isinstance(value, str):
            raise self.fail(f"{what} '{key}' is {_kind(value)}, expected a string")
        return value

    def req_text(self, data: dict[str, Any], key: str, what: str) -> str:
        value = self.text(data, key, what)
        if value is None:  # unreachable: required=True raises first
            raise self.fail(f"{what} has no '{key}'")
        return value

    def whole(self, data: dict[str, Any], key: str, what: str) -> int | None:
        value = self.get(data, key)
        if value is None:
            return None
        # bool is an int subclass in Python but never a row count.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{what} '{key}' is {_kind(value)}, expected a whole number")
        return value

    def flag(self, data: dict[str, Any], key: str, what: str, default: bool) -> bool:
        value = self.get(data, key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(f"{what} '{key}' is {_kind(value)}, expected true or false")
        return value

    def present(self, data: dict[str, Any], key: str) -> bool:
        """A published/draft field: true, a number above zero, or any other value that
        is present and not null (a version object, a date); false when absent, and for a
        string that says no ("false", "no", "0", "none", "null", in any case)."""
        value = self.get(data, key)
        if value is None or value is False:
            return False
        if isinstance(value, bool):
            return True
        if isinstance(value, int | float):
            return value > 0
        if isinstance(value, str):
            return value.strip().lower() not in _SAYS_NO
        return bool(value != [] and value != {})

    def time(self, data: dict[str, Any], key: str, what: str) -> datetime | None:
        fmt = self.profile.timestamp_format
        if fmt != "iso":
            value = self.get(data, key)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(f"{what} '{key}' is {_kind(value)}, expected {fmt} (a number)")
            seconds = value / 1000 if fmt == "epoch_ms" else value
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                pass
            raise self.fail(f"{what} '{key}' is {value!r}, not a time in {fmt}")
        text = self.text(data, key, what, required=False)
        if text is None:
            return None
        try:
            return parse_timestamp(text)
        except ValueError:
            pass  # raised below, so the ProtocolError carries no parser exception
        raise self.fail(f"{what} '{key}' is {text[:40]!r}, not an ISO-8601 time")

    def items(self, value: object, what: str) -> list[Any]:
        """The entries of one list answer: a bare array, or the array inside a page."""
        field = self.profile.list_items_field
        if not field:
            return self.as_list(value, what)
        page = self.as_obj(value, f"{what} page")
        found = get_path(page, field)
        if found is MISSING:
            raise self.fail(f"{what} page has no '{field}'")
        return self.as_list(found, f"{what} '{field}'")

    # -- models --------------------------------------------------------------

    def workflow(self, value: object, *, space: str | None = None) -> Workflow:
        """A workflow; *space* is the space it was listed under, when it names none."""
        p = self.profile
        data = self.as_obj(value, "a workflow")
        label = self.req_text(data, p.workflow_label_field, "a workflow")
        what = f"workflow '{label}'"
        raw_id = self.get(data, p.workflow_id_field)
        if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, int | str)):
            raise self.fail(f"{what} '{p.workflow_id_field}' is {_kind(raw_id)}")
        return Workflow(
            label=label,
            name=self.text(data, p.workflow_name_field, what, required=False) or label,
            space=self.text(data, p.workflow_space_field, what, required=False) or space or "",
            published=self.present(data, p.workflow_published_field),
            has_draft=self.present(data, p.workflow_draft_field),
            id=None if raw_id is None else str(raw_id),
            parameters=_names(self.get(data, p.workflow_parameters_field)),
            sources=_names(self.get(data, p.workflow_sources_field)),
        )

    def workflows(self, value: object) -> list[Workflow]:
        return [self.workflow(item) for item in self.items(value, "the workflow list")]

    def job(self, value: object, *, label: str | None = None) -> Job:
        """A job; *label* stands in when the body names no workflow (execute's answer)."""
        p = self.profile
        data = self.as_obj(value, "the job")
        job_id = self.get(data, p.job_id_field)
        if isinstance(job_id, int) and not isinstance(job_id, bool):
            job_id = str(job_id)  # a numeric id is still an id
        if not isinstance(job_id, str) or not job_id:
            raise self.fail(f"the job has no usable '{p.job_id_field}' (it is {_kind(job_id)})")
        what = f"job {job_id}"
        state = p.canonical(self.req_text(data, p.job_state_field, what))
        if p.job_workflow_label_field:
            found = self.text(data, p.job_workflow_label_field, what, required=False)
        else:
            found = self._job_workflow(self.get(data, p.job_workflow_field), what)
        workflow_label = found or label
        if workflow_label is None:
            raise self.fail(f"{what} has no '{p.job_workflow_label_field or p.job_workflow_field}'")
        raw_steps = self.get(data, p.job_steps_field)
        steps = (
            ()
            if raw_steps is None
            else tuple(
                self.step(s, what) for s in self.as_list(raw_steps, f"{what} '{p.job_steps_field}'")
            )
        )
        return Job(
            id=job_id,
            state=state,
            workflow_label=workflow_label,
            submitted_at=self.time(data, p.job_submitted_field, what),
            started_at=self.time(data, p.job_started_field, what),
            finished_at=self.time(data, p.job_finished_field, what),
            error=self._job_error(self.get(data, p.job_error_field), what),
            steps=steps,
        )

    def jobs(self, value: object) -> list[Job]:
        return [self.job(item) for item in self.items(value, "the job list")]

    def _job_workflow(self, value: object, what: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):  # some servers name the workflow by its label only
            return value
        data = self.as_obj(value, f"{what} '{self.profile.job_workflow_field}'")
        return self.req_text(data, self.profile.workflow_label_field, f"{what} workflow")

    def _job_error(self, value: object, what: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, dict):  # a structured error: keep its message
            message = self.text(value, self.profile.error_message_field, f"{what} error")
            return message
        raise self.fail(f"{what} '{self.profile.job_error_field}' is {_kind(value)}")

    def step(self, value: object, what: str) -> Step:
        p = self.profile
        data = self.as_obj(value, f"a step of {what}")
        name = self.req_text(data, p.step_name_field, f"a step of {what}")
        where = f"step '{name}' of {what}"
        return Step(
            name=name,
            type=self.text(data, p.step_type_field, where, required=False) or "",
            state=p.canonical(
                self.text(data, p.step_state_field, where, required=False) or "", step=True
            ),
            rows_in=self.whole(data, p.step_rows_in_field, where),
            rows_out=self.whole(data, p.step_rows_out_field, where),
            passed_rows=self.whole(data, p.step_passed_rows_field, where),
            failed_rows=self.whole(data, p.step_failed_rows_field, where),
        )
