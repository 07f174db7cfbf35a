"""Reading a list route to its end, whatever the shape of the server's pages.

A list answer is a bare JSON array, or a page object holding the array
(``list_items_field``) and saying, in ONE of these ways, whether more follows:
a next link in the body (``list_next_field``, HAL's ``_links.next.href``...) or
in an RFC 8288 header (``list_next_header = "Link"``, ``rel="next"``), a last
flag (``list_last_field``), or a count of pages or of entries
(``list_total_pages_field``, ``list_total_elements_field``, as Spring Data's
``page.totalPages``). The counted and flagged ways ask for the next page by
number (``page_param``, from ``page_first``). The page size asked for is never
used to judge the end: servers cap it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

import requests

from aperture_verify.client.decode import Decoder
from aperture_verify.client.profile import MISSING, ApiProfile, get_path

MAX_PAGES = 1000


def next_link(headers: Mapping[str, str], name: str) -> str | None:
    """The ``rel="next"`` target of the RFC 8288 header *name* (``Link``), or ``None``."""
    value = next((v for k, v in headers.items() if k.lower() == name.lower()), "")
    for link in requests.utils.parse_header_links(value) if value else ():
        if "next" in str(link.get("rel", "")).split():
            return str(link.get("url", "")) or None
    return None


def fetch_list(
    http: Any,  # an ApiSession (client/http.py): base_url, profile, decoder(), request()
    route: str,
    path: str,
    params: Mapping[str, str] | None,
    *,
    first_page_only: bool = False,
    max_pages: int = MAX_PAGES,
) -> list[Any]:
    """Every entry of list route *route* at *path*, following the profile's pages.

    The end is what a page says (no next link, the last flag, the count of pages
    or of entries reached) or an empty page.
    """
    p: ApiProfile = http.profile
    method = p.method(route)
    decoder: Decoder = http.decoder(method, path)
    query = dict(params or {})
    if p.paged and p.page_size_param and p.page_size:
        query[p.page_size_param] = str(p.page_size)
    entries: list[Any] = []
    page_path, pages = path, 0
    way = p.paging
    for _ in range(max_pages):
        headers: dict[str, str] = {}
        body = http.request(method, page_path, params=query or None, headers_out=headers)
        items = decoder.items(body, f"the {route} list")
        entries += items
        pages += 1
        if first_page_only or not p.paged or not items or not way:
            return entries
        if way in ("list_next_field", "list_next_header"):
            link = (
                get_path(body, p.list_next_field)
                if way == "list_next_field"
                else next_link(headers, p.list_next_header)
            )
            if link is MISSING or link is None or link == "":
                return entries
            if not isinstance(link, str):
                raise decoder.fail(f"the page's '{p.list_next_field}' is not a link")
            page_path, query = same_server(http.base_url, link, path, decoder), {}
            continue
        if way == "list_last_field":
            last = get_path(body, p.list_last_field)
            if last is True:
                return entries
            if last is not False:
                raise decoder.fail(f"the page has no true/false '{p.list_last_field}'")
        else:
            key = getattr(p, way)
            total = get_path(body, key)
            if isinstance(total, bool) or not isinstance(total, int) or total < 0:
                raise decoder.fail(f"the page has no whole number '{key}'")
            done = pages if way == "list_total_pages_field" else len(entries)
            if done >= total:
                return entries
        query[p.page_param] = str(p.page_first + pages)
    raise decoder.fail(f"the {route} list goes on past {max_pages} pages")


def same_server(base: str, link: str, path: str, decoder: Decoder) -> str:
    """The path of *link* (absolute or relative to *path*) on the server at *base*."""
    url = urljoin(base + path, link)
    if not url.startswith(base + "/"):
        raise decoder.fail(f"the next page's link {link[:80]!r} leaves the server")
    return url[len(base) :]
