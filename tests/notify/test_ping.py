"""Dead-man's-switch pings against a real HTTP receiver: the paths, run id and body."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from aperture_verify.notify.ping import Pinger, run_uuid
from receivers import HttpReceiver

CHECK = "5b1e7c6a-0c3b-4f7e-9a51-31f0d7e2c9aa"
RUN = "37cb6eefc86d4da18d9fa1e2f6346421"


def test_the_run_id_is_sent_as_a_uuid() -> None:
    assert run_uuid(RUN) == "37cb6eef-c86d-4da1-8d9f-a1e2f6346421"
    assert uuid.UUID(run_uuid("not hex at all"))  # an older id still gives a valid one


@pytest.mark.parametrize(("status", "suffix"), [(0, ""), (12, "/12"), (2, "/2")])
def test_healthchecks_start_then_the_bare_url_or_the_exit_status(
    http_receiver: HttpReceiver, status: int, suffix: str
) -> None:
    pinger = Pinger(http_receiver.url(f"/ping/{CHECK}"))
    assert pinger.start(RUN).ok
    assert pinger.finish(status, "Workflow 5 (phase enrich): failed ✗").ok
    got = http_receiver.requests
    assert [(r.method, r.path) for r in got] == [
        ("POST", f"/ping/{CHECK}/start?rid=37cb6eef-c86d-4da1-8d9f-a1e2f6346421"),
        ("POST", f"/ping/{CHECK}{suffix}?rid=37cb6eef-c86d-4da1-8d9f-a1e2f6346421"),
    ]
    assert got[0].body == b""
    assert got[1].text == "Workflow 5 (phase enrich): failed ✗"


def test_a_ping_url_with_a_query_keeps_it(http_receiver: HttpReceiver) -> None:
    pinger = Pinger(http_receiver.url("/ping/key123/nightly?create=1"))
    pinger.start(RUN)
    assert http_receiver.requests[0].path == (
        "/ping/key123/nightly/start?create=1&rid=37cb6eef-c86d-4da1-8d9f-a1e2f6346421"
    )


def test_cronitor_states_in_its_own_form(http_receiver: HttpReceiver) -> None:
    pinger = Pinger(http_receiver.url("/p/apikey123/nightly"), style="cronitor")
    pinger.start(RUN)
    pinger.finish(12, "x" * 3000)
    first, last = (urlsplit(r.path) for r in http_receiver.requests)
    assert [r.method for r in http_receiver.requests] == ["GET", "GET"]
    assert parse_qs(first.query) == {"state": ["run"], "series": [run_uuid(RUN)]}
    end = parse_qs(last.query)
    assert (end["state"], end["status_code"], len(end["message"][0])) == (["fail"], ["12"], 2000)
    assert Pinger("https://cronitor.link/p/k/job").style == "cronitor"
    assert Pinger("https://hc-ping.com/k").style == "healthchecks"


def test_a_failed_ping_is_an_outcome_without_the_secret(
    http_receiver: HttpReceiver, closed_port: int
) -> None:
    broken = Pinger(http_receiver.url(f"/broken/{CHECK}"))
    outcome = broken.finish(0, "ok")
    assert (outcome.status, outcome.event) == ("failed", "end")
    assert outcome.reason == "HTTP 500 Internal Server Error: OK"
    gone = Pinger(f"http://127.0.0.1:{closed_port}/ping/{CHECK}")
    outcome = gone.start(RUN)
    assert outcome.status == "failed" and outcome.reason
    assert "ConnectionError" in outcome.reason
    for text in (outcome.reason, outcome.warning(), str(outcome.to_dict())):
        assert CHECK not in text
    assert outcome.warning().startswith(
        f"aperture: WARNING: start ping to http://127.0.0.1:{closed_port}/… failed: "
    )


def test_a_monitor_that_does_not_answer_times_out(http_receiver: HttpReceiver) -> None:
    pinger = Pinger(http_receiver.url("/hang/x"), timeout=(1.0, 0.5))
    outcome = pinger.finish(0, "ok")
    assert (outcome.status, outcome.reason) == ("timeout", "no answer within 0.5s")
