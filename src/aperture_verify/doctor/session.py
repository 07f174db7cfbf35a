"""The doctor's read-only line to the server: authenticated GETs, pages and their shape.

Only ``GET`` requests (and the 1.x login) are ever sent. The credential is
sent as the suite sends it (``<environment> <key>``, or a 1.x token from the
login route) and never appears in a message: every server text shown goes
through ``common.redaction.redact``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from aperture_verify.client.credentials import Credentials
from aperture_verify.client.decode import Decoder
from aperture_verify.client.paging import next_link
from aperture_verify.client.profile import MISSING, ApiProfile, get_path
from aperture_verify.client.tokens import jwt_lifetime
from aperture_verify.common.redaction import redact, safe_url
from aperture_verify.errors import ProtocolError

NEXT_FIELDS = ("_links.next.href", "links.next", "next", "nextPage", "nextLink", "nextUrl",
               "_links.next", "page.next")  # fmt: skip
TOTAL_PAGES = ("page.totalPages", "totalPages", "pagination.totalPages", "meta.totalPages",
               "total_pages", "pageCount")  # fmt: skip
TOTAL_ELEMENTS = ("page.totalElements", "totalElements", "pagination.total", "meta.total",
                  "total", "totalCount", "total_count", "count")  # fmt: skip
LAST_FLAGS = ("last", "isLast", "lastPage", "page.last")
PAGE_NUMBERS = ("page.number", "number", "pageNumber", "pagination.page", "meta.page", "page")
ITEM_FIELDS = ("content", "items", "data", "results", "elements", "values", "records")


class LiveError(Exception):
    """A live answer could not be had or read; the message is one line, redacted.
    ``refused``: the server refused the credential (no other answer will be had)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass
class Page:
    """One live answer: its JSON and its headers."""

    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class LiveSession:
    """Read-only, authenticated calls to the server under test."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        api: str,
        environment: str,
        verify: bool | str,
        timeout: tuple[float, float],
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.api, self.environment = api, environment
        self.verify, self.timeout = verify, timeout
        self.session = requests.Session()
        self.authorization = ""
        self.login_answer: Any = None
        self.sent = 0
        self.answered = 0  # authenticated calls answered 200: the credential works

    def _secrets(self) -> list[str]:
        c = self.credentials
        found = [s for s in (c.api_key, c.password, self.authorization) if s]
        return found + ([self.authorization.split(" ", 1)[-1]] if self.authorization else [])

    def hide(self, text: str) -> str:
        return redact(text, self._secrets())

    def log_in(self, profile: ApiProfile) -> Any:
        """Log in (1.x) with *profile*'s login route and fields; return the answer's JSON."""
        c = self.credentials
        body = {profile.login_username_field: c.username, profile.login_password_field: c.password}
        url = self.base_url + profile.login_path
        answer = self._send(profile.login_method, url, json_body=body, auth=False)
        self.login_answer = answer.body
        return answer.body

    def use_token(self, token: str) -> None:
        self.authorization = f"Bearer {token}"

    def use_key(self) -> None:
        self.authorization = f"{self.environment} {self.credentials.api_key}"

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Page:
        url = path if path.startswith("http") else self.base_url + path
        return self._send("GET", url, params=params)

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        auth: bool = True,
    ) -> Page:
        if method not in ("GET", "POST") or (method == "POST" and auth):
            raise LiveError(f"{method} {safe_url(url)}: the doctor sends no such request")
        headers = {"Accept": "application/json"}
        if auth and self.authorization:
            headers["Authorization"] = self.authorization
        self.sent += 1
        try:
            response = self.session.request(
                method, url, params=params, json=json_body, headers=headers,
                timeout=self.timeout, verify=self.verify,
            )  # fmt: skip
        except requests.RequestException as e:
            raise LiveError(f"{method} {safe_url(url)}: {type(e).__name__}") from None
        where = f"{method} {safe_url(response.url)}"
        if response.status_code in (401, 403):
            raise LiveError(
                f"{where}: {response.status_code} (the credential was refused)", refused=True
            )
        if response.status_code != 200:
            text = self.hide(response.text[:120].replace("\n", " "))
            raise LiveError(f"{where}: {response.status_code} {text}".rstrip())
        try:
            body = json.loads(response.text) if response.text.strip() else None
        except ValueError:
            raise LiveError(f"{where}: the answer is not JSON") from None
        self.answered += 1 if auth else 0
        return Page(body, dict(response.headers))


class PagingShim:
    """What ``client.paging.fetch_list`` needs of a session, over a ``LiveSession``
    and a trial profile: the doctor reads whole lists the way the suite will."""

    def __init__(self, live: LiveSession, profile: ApiProfile) -> None:
        self.live, self.profile, self.base_url = live, profile, live.base_url

    def decoder(self, method: str, path: str) -> Decoder:
        return Decoder(self.profile, method, safe_url(self.base_url + path))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers_out: dict[str, str] | None = None,
    ) -> Any:
        try:
            page = self.live.get(path, params)
        except LiveError as e:
            raise ProtocolError(str(e)) from None
        if headers_out is not None:
            headers_out.update(page.headers)
        return page.body


def items_of(body: Any, hint: str | None = None) -> tuple[str, list[Any]] | None:
    """Where a list answer keeps its entries (``""`` for a bare array) and the entries."""
    if isinstance(body, list):
        return "", body
    if not isinstance(body, dict):
        return None
    for path in ([hint] if hint else []) + list(ITEM_FIELDS):
        found = get_path(body, path)
        if isinstance(found, list):
            return path, found
    embedded = body.get("_embedded")  # HAL: {"_embedded": {"workflows": [...]}}
    if isinstance(embedded, dict) and len(embedded) == 1:
        ((name, found),) = embedded.items()
        if isinstance(found, list):
            return f"_embedded.{name}", found
    arrays = [(k, v) for k, v in body.items() if isinstance(v, list) and v and
              all(isinstance(i, dict) for i in v)]  # fmt: skip
    return arrays[0] if len(arrays) == 1 else None


def paging_of(page: Page, items: str) -> dict[str, Any]:
    """The profile keys that follow pages shaped like *page*: the first way found of a
    next link (header, then body), a total-pages count, a total-elements count, a
    last flag; with the page number's base. ``{}``: a single page that says nothing."""
    keys: dict[str, Any] = {}
    if next_link(page.headers, "Link") is not None or _has_link_header(page.headers):
        keys["list_next_header"] = "Link"
    elif not isinstance(page.body, dict):
        return keys
    else:
        body = page.body
        for path in NEXT_FIELDS:
            value = get_path(body, path)
            if value is not MISSING and (value is None or isinstance(value, str)):
                keys["list_next_field"] = path
                break
        else:
            for way, names in (("list_total_pages_field", TOTAL_PAGES),
                               ("list_total_elements_field", TOTAL_ELEMENTS)):  # fmt: skip
                hit = [n for n in names if _whole(get_path(body, n)) and n != items]
                if hit:
                    keys[way] = hit[0]
                    break
            else:
                flags = [n for n in LAST_FLAGS if isinstance(get_path(body, n), bool)]
                if flags:
                    keys["list_last_field"] = flags[0]
        if keys and "list_next_field" not in keys:
            numbers = [get_path(body, n) for n in PAGE_NUMBERS]
            first = next((n for n in numbers if _whole(n)), 0)
            keys["page_first"] = 1 if first == 1 else 0
    if items:
        keys["list_items_field"] = items
    return keys


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _has_link_header(headers: Mapping[str, str]) -> bool:
    return any(k.lower() == "link" and "rel=" in v for k, v in headers.items())


def token_of(answer: Any, configured: str) -> tuple[str, str] | None:
    """The token field of a live login answer (the configured one if it holds a string,
    else the one string field named like a token) and the token."""
    if not isinstance(answer, dict):
        return None
    value = get_path(answer, configured)
    if isinstance(value, str) and value:
        return configured, value
    named = [k for k, v in answer.items() if "token" in k.lower() and isinstance(v, str) and v]
    return (named[0], answer[named[0]]) if len(named) == 1 else None


def token_is_jwt(token: str) -> bool:
    """The token says how long it lives (a JWT-like ``exp`` claim)."""
    return jwt_lifetime(token) is not None
