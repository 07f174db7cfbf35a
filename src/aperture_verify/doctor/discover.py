"""Finding a server's API document: what its Swagger UI points at, then the usual places.

Spring servers publish it in known ways (see docs/doctor.md): a springdoc UI
page loads ``swagger-initializer.js``, whose ``url:`` (or ``configUrl``) names
the document; a springfox ``swagger-ui.html`` reads ``swagger-resources``, a
list of documents relative to the context path. When no UI page leads to
one, ``/v3/api-docs``, ``/v2/api-docs``, ``swagger.json`` and
``openapi.json`` are tried under the root and the API base.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

UI_PAGES = (
    "/api/docs/index.html",
    "/api/v1/swagger-ui.html",
    "/swagger-ui/index.html",
    "/swagger-ui.html",
)
USUAL = ("/v3/api-docs", "/v2/api-docs", "/swagger.json", "/openapi.json")
PREFIXES = ("", "/api", "/api/v1", "/api/docs")
_URL = re.compile(r"""\b(url|configUrl)\s*:\s*["']([^"']+)["']""")
_SCRIPT = re.compile(r"""<script[^>]+src=["']([^"']*initializer[^"']*)["']""", re.I)


@dataclass
class Discovery:
    """What was found (``document`` and its ``url``), and every place tried."""

    url: str = ""
    document: Any = None
    via: str = ""
    tried: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


Get = Callable[[str], requests.Response]


def discover(base_url: str, get: Get) -> Discovery:
    """Look for the document of the server at *base_url* with *get* (which never raises
    for HTTP errors, only ``requests.RequestException`` for transport ones)."""
    found = Discovery()
    base = base_url.rstrip("/")
    candidates: list[tuple[str, str]] = []
    for page in UI_PAGES:
        for url, via in _from_ui(base, page, get, found):
            candidates.append((url, via))
        for url, via in candidates:
            if _try(url, via, get, found):
                return found
        candidates.clear()
    for prefix in PREFIXES:
        for place in USUAL:
            if _try(base + prefix + place, "a usual place", get, found):
                return found
    return found


def _fetch(url: str, get: Get, found: Discovery) -> requests.Response | None:
    found.tried.append(url)
    try:
        response = get(url)
    except requests.RequestException as e:
        found.problems.append(f"{url}: {type(e).__name__}")
        return None
    if response.status_code != 200:
        found.problems.append(f"{url}: {response.status_code}")
        return None
    return response


def _from_ui(base: str, page: str, get: Get, found: Discovery) -> list[tuple[str, str]]:
    url = base + page
    response = _fetch(url, get, found)
    if response is None:
        return []
    via = f"the Swagger UI page {page}"
    texts = [response.text]
    for script in _SCRIPT.findall(response.text):
        js = _fetch(urljoin(url, script), get, found)
        if js is not None:
            texts.append(js.text)
    out: list[tuple[str, str]] = []
    for text in texts:
        for kind, target in _URL.findall(text):
            target_url = urljoin(url, target)
            if kind == "configUrl":
                out += _from_config(target_url, get, found, via)
            else:
                out.append((target_url, via))
    if page.endswith("swagger-ui.html"):  # springfox: the page reads swagger-resources
        context = posixpath.dirname(page)
        resources = _fetch(base + context + "/swagger-resources", get, found)
        for entry in _json_list(resources):
            target = entry.get("url") or entry.get("location")
            if isinstance(target, str):
                out.append(
                    (base + context + "/" + target.lstrip("/"), via + " (swagger-resources)")
                )
                out.append((urljoin(base + "/", target.lstrip("/")), via + " (swagger-resources)"))
    return out


def _from_config(url: str, get: Get, found: Discovery, via: str) -> list[tuple[str, str]]:
    response = _fetch(url, get, found)
    data = _json(response)
    out = []
    if isinstance(data, dict):
        entries = [data] + [u for u in data.get("urls", []) if isinstance(u, dict)]
        for entry in entries:
            if isinstance(entry.get("url"), str):
                out.append((urljoin(url, entry["url"]), via + " (swagger-config)"))
    return out


def _try(url: str, via: str, get: Get, found: Discovery) -> bool:
    if url in found.tried:
        return False
    response = _fetch(url, get, found)
    data = _json(response)
    if response is not None and data is None:
        found.problems.append(f"{url}: not JSON")
    if isinstance(data, dict) and ("openapi" in data or "swagger" in data):
        found.url, found.document, found.via = url, data, via
        return True
    if isinstance(data, dict):
        found.problems.append(f"{url}: JSON, but not an OpenAPI or Swagger document")
    return False


def _json(response: requests.Response | None) -> Any:
    if response is None:
        return None
    try:
        return json.loads(response.text)
    except ValueError:
        return None


def _json_list(response: requests.Response | None) -> list[dict[str, Any]]:
    data = _json(response)
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def same_server(base_url: str, url: str) -> bool:
    """Whether *url* is on the server of *base_url* (credentials go nowhere else)."""
    a, b = urlsplit(base_url), urlsplit(url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)
