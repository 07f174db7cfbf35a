"""Fixtures of the client tests: what the emulator serves (``emulator_scenario``,
``emulator_options``: API key ``KEY``, 1.x user ``alice`` / ``pw``), a client factory
(``make_client``, retrying by ``client_retry``: ``FAST`` unless a module overrides it) and
a client (``client``); helpers are in ``client_support``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aperture_verify.client.client import DataStudioClient, RetryPolicy
from aperture_verify.client.credentials import Credentials
from aperture_verify.emulator import Emulator, Scenario
from client_support import FAST, KEY, MakeClient, quick


@pytest.fixture
def emulator_scenario() -> Scenario:
    return Scenario(
        workflows=(
            quick("Workflow 1"),
            quick("Slow", duration=30.0),
            quick("Unpublished", published=False),
        )
    )


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"api_keys": (KEY,), "users": {"alice": "pw"}, "environment": "default"}


@pytest.fixture
def client_retry() -> RetryPolicy:
    return FAST


@pytest.fixture
def make_client(emulator: Emulator, client_retry: RetryPolicy) -> Iterator[MakeClient]:
    made: list[DataStudioClient] = []

    def make(api: str = "v2", **kwargs: object) -> DataStudioClient:
        creds = (
            Credentials(api_key=KEY)
            if api == "v2"
            else Credentials(username="alice", password="pw")
        )
        options: dict[str, object] = {"retry": client_retry, "read_timeout": 5.0}
        options.update(kwargs)
        base = str(options.pop("base_url", emulator.url))
        creds = options.pop("credentials", creds)  # type: ignore[assignment]
        client = DataStudioClient(base, creds, api=api, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> DataStudioClient:
    return make_client()
