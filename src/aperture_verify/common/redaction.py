"""What counts as a secret, and how one is kept out of text.

One rule for every layer: the client's error messages, the plan's refusal of
credentials, the reports and the emulator's scenario files all ask
``is_secret_key`` whether a name holds a credential, mask known values with
``redact`` and show URLs through ``safe_url``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import markupsafe

__all__ = ["MASK", "is_secret_key", "redact", "safe_url"]

#: What a secret value is replaced with. Plain characters, so that it reads the
#: same in a log line, HTML, XML and JSON.
MASK = "[redacted]"

# A name holds a credential when its last word (after splitting at "_", "-",
# ".", spaces and camelCase, and dropping a trailing number) is one of these:
# "db_password", "GITHUB_TOKEN", "Authorization", but not "token_count",
# "auth_mode" or "PASSWORD_FILE", which name something else.
_SECRET_WORDS = frozenset(
    {
        "apikey", "apitoken", "auth", "authorization", "bearer", "cookie", "credential",
        "credentials", "passphrase", "passwd", "password", "privatekey", "pwd", "secret",
        "sig", "signature", "token", "username",
    }
)  # fmt: skip

# "key" is a credential only after one of these ("api_key", "SSH_PRIVATE_KEY"),
# or on its own: "sort_key" or "lookup_key" are ordinary names.
_KEY_QUALIFIERS = frozenset(
    {"access", "api", "client", "encryption", "master", "private", "secret", "signing", "ssh"}
)

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(name)]


def is_secret_key(name: str) -> bool:
    """Whether *name* (a plan key, a parameter, an environment or metadata key, a
    URL query parameter) would hold a credential: ``api_key``, ``API-Key``,
    ``accessToken``, ``db_password``, ``Authorization``, ``SSH_PRIVATE_KEY``."""
    words = _words(name)
    while words and words[-1].isdigit():
        words.pop()
    if not words:
        return False
    last = words[-1]
    if last == "key":
        return len(words) == 1 or words[-2] in _KEY_QUALIFIERS
    return last in _SECRET_WORDS


def redact(text: str, secrets: Iterable[str]) -> str:
    """*text* with every occurrence of every known secret value replaced by ``MASK``.

    Every non-empty value counts, however short: skipping a short one would show
    it, masking it may mask ordinary text too (and the gaps hint at it), so
    docs/checks.md asks for credentials of 8 characters or more. A secret is also found
    in the escaped forms a report gives it (HTML, JSON). Longer values go first,
    so that a secret that contains another is masked whole.
    """
    forms = {form for secret in secrets if secret for form in _forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def _forms(secret: str) -> set[str]:
    """*secret* as it may stand in text: as is, escaped for HTML or XML (by the standard
    library or by the report templates' autoescaping), inside JSON."""
    return {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        str(markupsafe.escape(secret)),  # Jinja2's: " is &#34;, ' is &#39;
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }


def safe_url(url: str) -> str:
    """*url* without ``user:password@`` and without query parameters whose name
    holds a credential (``?apikey=...``); any other URL comes back unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    params = [p for p in parts.query.split("&") if p]
    kept = [p for p in params if not is_secret_key(p.split("=", 1)[0])]
    if netloc == parts.netloc and len(kept) == len(params):
        return url
    return urlunsplit(parts._replace(netloc=netloc, query="&".join(kept)))
