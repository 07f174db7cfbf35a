"""Apprise and monitor URLs carry secrets: how one is shown, and which parts of it to redact.

A target is only ever shown as ``scheme://host/…``; the texts that may quote
it (a failure's reason, a library's message) go through the project's one
``redact`` with every part ``url_secrets`` finds.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

from aperture_verify.common.redaction import is_secret_key

__all__ = ["shown", "url_secrets"]

# A path segment or query value of a URL is taken for a token when it is this long and
# not an ordinary word (it has a digit, or upper and lower case): "services" or
# "triggers" are not secrets, "T1JJ3T3L2" and "TIiajkdnlazkcOXrIdevi7FQ" are.
_TOKEN_MIN = 8
_WORDISH = re.compile(r"[a-z_-]+|[A-Z_-]+")


def url_secrets(url: str) -> list[str]:
    """The parts of an Apprise or monitor URL that may be secret: the whole URL, its
    password, and every host, path segment and query value that looks like a token
    or whose name holds a credential."""
    found = [url]
    try:
        parts = urlsplit(url)
    except ValueError:
        return found
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    host = parts.netloc.rsplit("@", 1)[-1]
    for segment in [host, host.split(":")[0], *parts.path.split("/")]:
        if _looks_like_token(unquote(segment)):
            found += [segment, unquote(segment)]
    for name, value in parse_qsl(parts.query):
        if value and (is_secret_key(name) or _looks_like_token(value)):
            found.append(value)
    return [s for s in dict.fromkeys(found) if s]


def _looks_like_token(text: str) -> bool:
    if len(text) < _TOKEN_MIN or "." in text:  # short, or a host name or an address
        return False
    return not _WORDISH.fullmatch(text)


def shown(url: str) -> str:
    """A target as the log shows it: ``scheme://host/…`` (no user, no path, no query)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://…"
    host = parts.netloc.rsplit("@", 1)[-1]
    name, _, port = host.partition(":")
    if _looks_like_token(name) or (port and not port.isdigit()):
        host = host[:1] + "…"  # slack://T1JJ3T3L2/..., tgram://123:ABC/...: a token
    rest = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{rest}"
