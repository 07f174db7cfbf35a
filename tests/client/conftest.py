"""Fixtures of the client tests: the emulator (``emu``), a client factory
(``make_client``) and a client (``client``); helpers are in ``client_support``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aperture_verify.client.client import DataStudioClient
from aperture_verify.client.credentials import Credentials
from aperture_verify.emulator import Emulator
from client_support import FAST, KEY, MakeClient, quick


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(None, api_keys=(KEY,), users={"alice": "pw"}, environment="default") as e:
        e.add_workflow(quick("Workflow 1"))
        e.add_workflow(quick("Slow", duration=30.0))
        e.add_workflow(quick("Unpublished", published=False))
        yield e
        e.check()


@pytest.fixture
def make_client(emu: Emulator) -> Iterator[MakeClient]:
    made: list[DataStudioClient] = []

    def make(api: str = "v2", **kwargs: object) -> DataStudioClient:
        creds = (
            Credentials(api_key=KEY)
            if api == "v2"
            else Credentials(username="alice", password="pw")
        )
        options: dict[str, object] = {"retry": FAST, "read_timeout": 5.0}
        options.update(kwargs)
        base = str(options.pop("base_url", emu.url))
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
