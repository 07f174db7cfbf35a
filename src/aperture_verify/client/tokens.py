"""How long a 1.x login token lives: a field of the answer, the token's own claim, or fixed.

1.x tokens seen in public code look like JWTs whose ``exp``/``iat`` are epoch
*milliseconds* and whose base64 segments keep their ``=`` padding, which strict
JWT decoders refuse. Only the lifetime is read here (``exp - iat``, or ``exp -
now`` without ``iat``); the signature is the server's business.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

_MS_THRESHOLD = 100_000_000_000  # seconds since 1970 pass this in the year 5138


def _seconds(value: float) -> float:
    return value / 1000 if value > _MS_THRESHOLD else value


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT-like token (padded or unpadded base64url), ``None`` if it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    segment = parts[1].rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def jwt_lifetime(token: str, now: float | None = None) -> float | None:
    """Seconds the token says it lives (``exp`` in seconds or milliseconds), ``None`` if unknown."""
    claims = jwt_claims(token)
    if claims is None:
        return None
    exp, iat = claims.get("exp"), claims.get("iat")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    if isinstance(iat, int | float) and not isinstance(iat, bool):
        lifetime = _seconds(exp) - _seconds(iat)
    else:
        lifetime = _seconds(exp) - (time.time() if now is None else now)
    return lifetime if lifetime > 0 else None


def make_jwt(claims: dict[str, Any], *, padded: bool = True) -> str:
    """A JWT-shaped token with an unchecked signature, as the emulator issues for 1.x."""

    def b64(data: bytes) -> str:
        text = base64.urlsafe_b64encode(data).decode()
        return text if padded else text.rstrip("=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{body}.{b64(b'emulator-signature')}"
