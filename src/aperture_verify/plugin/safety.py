"""What is unsafe about how a run reaches its server, said out loud.

Certificate verification turned off (``verify_tls = false``) and plain
``http://`` to a host that is not this machine are allowed, never silent: the
terminal shows a warning at the start and in the summary, and the HTML
report's environment table says "TLS verification: OFF".
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest

from aperture_verify.plan.model import Plan


def transport_warnings(plan: Plan) -> list[str]:
    """What is unsafe about how the run talks to its server: TLS unverified, plain HTTP."""
    server = plan.server
    if server.is_emulator:
        return []
    parts = urlsplit(server.url)
    warnings = []
    if not server.verify_tls:
        warnings.append(
            f"TLS certificate verification is OFF (verify_tls = false in {plan.source.name}): "
            "the server's identity is not checked"
        )
    if parts.scheme == "http" and not _is_local(parts.hostname or ""):
        warnings.append(
            f"plain http:// to {parts.hostname}, which is not this machine: the credential "
            "and the results travel unencrypted; use https://"
        )
    return warnings


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_metadata(config: pytest.Config, plan: Plan) -> None:
    """The report's environment table says when TLS verification is off."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:
        return
    metadata = config.stash.get(metadata_key, None)
    if metadata is not None and not plan.server.verify_tls and not plan.server.is_emulator:
        metadata["TLS verification"] = "OFF"
