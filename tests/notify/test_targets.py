"""Notification targets: loading Apprise URLs, their secrets, and sending to real receivers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_digest import FAILED_NIGHT, results, workflow

from aperture_verify.common.redaction import MASK, redact
from aperture_verify.notify.digest import RunDigest
from aperture_verify.notify.targets import NotifyError, Targets
from aperture_verify.notify.urls import shown, url_secrets
from aperture_verify.plan.model import NotifySettings
from receivers import HttpReceiver, SmtpReceiver, mail_parts

SECRET = "Hook5ecret77"
SETTINGS = NotifySettings(on=("failure",), timeout=10.0)


def load(env: str, settings: NotifySettings = SETTINGS) -> Targets:
    targets = Targets.load(settings, {"APERTURE_NOTIFY": env})
    assert targets is not None
    return targets


# -- what a URL shows and hides ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "seen", "hidden"),
    [
        (
            "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
            "slack://T…/…",
            ["T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"],
        ),
        (
            "workflows://prod-01.westus.logic.azure.com:443/4bd1c2f0a9e8/Sig0aXk9Fz2LmQ",
            "workflows://prod-01.westus.logic.azure.com:443/…",
            ["4bd1c2f0a9e8", "Sig0aXk9Fz2LmQ"],
        ),
        (
            f"jsons://bot:{SECRET}@hooks.example.com/services/x?token=abc12345",
            "jsons://hooks.example.com/…",
            [SECRET, "abc12345"],
        ),
        (
            "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100123",
            "tgram://1…/…",
            ["123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"],
        ),
        ("https://hc-ping.com/5b1e7c6a-0c3b-4f7e-9a51-31f0d7e2c9aa", "https://hc-ping.com/…", []),
    ],
)
def test_a_target_is_shown_without_its_secrets(url: str, seen: str, hidden: list[str]) -> None:
    assert shown(url) == seen
    secrets = url_secrets(url)
    for part in hidden:
        assert part in secrets
        assert part not in redact(f"failed to reach {url}: {part} refused", secrets)
    assert "services" not in secrets  # an ordinary word of a path is not a token


def test_a_healthchecks_uuid_is_a_secret() -> None:
    uuid = "5b1e7c6a-0c3b-4f7e-9a51-31f0d7e2c9aa"
    assert uuid in url_secrets(f"https://hc-ping.com/{uuid}")


# -- loading -------------------------------------------------------------------------


def test_nothing_set_is_no_targets() -> None:
    assert Targets.load(SETTINGS, {}) is None


def test_tags_choose_the_kinds_of_run_and_untagged_targets_get_on() -> None:
    targets = load(
        "json://127.0.0.1:9/a  failure,recovery=json://127.0.0.1:9/b\n"
        "always,devops=mailto://127.0.0.1:25?from=a@example.com&to=b@example.com"
    )
    assert [(t.shown, sorted(t.on), t.email) for t in targets.targets] == [
        ("json://127.0.0.1:9/…", ["failure"], False),
        ("json://127.0.0.1:9/…", ["failure", "recovery"], False),
        ("mailto://127.0.0.1:25/…", ["always"], True),
    ]
    passed = RunDigest.from_results(results(workflow("W1", "p")))
    assert [t.shown for t in targets.due(passed.events)] == ["mailto://127.0.0.1:25/…"]
    assert len(targets.due(RunDigest.from_results(FAILED_NIGHT).events)) == 3


def test_an_unknown_url_is_one_line_naming_it_without_its_secret() -> None:
    with pytest.raises(NotifyError) as e:
        load(f"json://127.0.0.1:9/a nosuch://user:{SECRET}@example.com/x")
    text = str(e.value)
    assert "\n" not in text
    assert text.startswith("APERTURE_NOTIFY: nosuch://example.com/… is not a notification URL")
    assert SECRET not in text


def test_an_apprise_config_file_with_tags(tmp_path: Path) -> None:
    config = tmp_path / "notify.yml"
    config.write_text(
        "urls:\n"
        f"  - json://u:{SECRET}@127.0.0.1:9/x:\n"
        "      tag: warning, failure\n"
        "  - json://127.0.0.1:9/y\n",
        encoding="utf-8",
    )
    targets = Targets.load(NotifySettings(config=config, on=("always",)), {})
    assert targets is not None
    assert [sorted(t.on) for t in targets.targets] == [["failure", "warning"], ["always"]]
    assert SECRET in targets.secrets


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ("# nothing yet\n", "holds no notification URL"),
        ("urls:\n  - nosuch://x/y\n", "nosuch"),
    ],
)
def test_a_config_file_that_gives_no_target_is_refused(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    config = tmp_path / "notify.yml"
    if content is not None:
        config.write_text(content, encoding="utf-8")
    with pytest.raises(NotifyError, match=problem) as e:
        Targets.load(NotifySettings(config=config), {})
    assert str(e.value).startswith(f"[notify] config: {config}: ")


def test_without_apprise_the_install_command_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise raises ImportError
    with pytest.raises(NotifyError) as e:
        load("json://127.0.0.1:9/a")
    assert str(e.value) == (
        "APERTURE_NOTIFY asks for notifications, but Apprise is not installed: "
        'pip install "aperture-verify[notify]"'
    )


# -- sending -------------------------------------------------------------------------


def test_mail_gets_the_full_text_and_report_webhooks_the_short_one(
    tmp_path: Path, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver
) -> None:
    report = tmp_path / "report.html"
    report.write_text("<html><body>the report ✓</body></html>", encoding="utf-8")
    hook = http_receiver.url(f"/hooks/{SECRET}", scheme="json")
    targets = load(f"{smtp_receiver.url()} {hook}")
    digest = RunDigest.from_results(FAILED_NIGHT, report_path=str(report))
    outcomes = targets.send(digest, report, timeout=20)
    assert [(o.target, o.status) for o in outcomes] == [
        (f"mailto://127.0.0.1:{smtp_receiver.port}/…", "sent"),
        (f"json://127.0.0.1:{http_receiver.port}/…", "sent"),
    ]
    assert len(smtp_receiver.messages) == 1
    mail = smtp_receiver.messages[0]
    assert mail["Subject"] == digest.title
    assert smtp_receiver.envelopes == [("aperture@example.com", ["ops@example.com"])]
    text, files = mail_parts(mail)
    assert text.replace("\r\n", "\n").strip() == digest.full_text()
    assert files == {"report.html": report.read_bytes()}
    posts = http_receiver.under("/hooks/")
    assert len(posts) == 1
    payload = json.loads(posts[0].text)
    assert (payload["title"], payload["message"], payload["type"]) == (
        digest.title,
        digest.short_text(),
        "failure",
    )
    assert payload["attachments"] == []


def test_a_failing_an_unreachable_and_a_hanging_target_are_outcomes_within_the_limit(
    http_receiver: HttpReceiver, closed_port: int
) -> None:
    good = http_receiver.url("/ok/1", scheme="json")
    broken = http_receiver.url(f"/broken/{SECRET}", scheme="json", userinfo=f"u:{SECRET}@")
    gone = f"json://u:{SECRET}@127.0.0.1:{closed_port}/x"
    hang = http_receiver.url("/hang/1", scheme="json")
    targets = load(" ".join([good, broken, gone, hang]))
    began = time.monotonic()
    outcomes = targets.send(RunDigest.from_results(FAILED_NIGHT), None, timeout=2.0)
    took = time.monotonic() - began
    assert took < 3.5, took  # the limit holds although /hang never answers
    assert [o.status for o in outcomes] == ["sent", "failed", "failed", "timeout"]
    assert "500" in str(outcomes[1].reason)
    assert outcomes[2].reason and "127.0.0.1" in outcomes[2].reason
    assert outcomes[3].reason == "no answer within 2s (the [notify] timeout)"
    for o in outcomes:
        assert SECRET not in str(o.to_dict()) and SECRET not in o.warning()
    # Exactly one request each to the ones that answer or hang; none to other paths.
    assert len(http_receiver.under("/ok/")) == 1
    assert len(http_receiver.under("/broken/")) == 1
    assert len(http_receiver.under("/hang/")) == 1
    assert len(http_receiver.requests) == 3


def test_a_target_that_is_not_due_is_sent_nothing(http_receiver: HttpReceiver) -> None:
    targets = load("success=" + http_receiver.url("/ok/1", scheme="json"))
    assert targets.send(RunDigest.from_results(FAILED_NIGHT), None, timeout=5) == []
    assert http_receiver.requests == []


def test_a_secret_of_the_url_is_masked_in_the_message_itself(http_receiver: HttpReceiver) -> None:
    """A server's reason that quotes the webhook URL does not carry it on."""
    hook = http_receiver.url(f"/hooks/{SECRET}", scheme="json")
    doc = results(
        workflow("W1", "p", "failed", failure_kind="execution", message=f"posted to {hook}"),
        exit_status=12,
    )
    outcomes = load(hook).send(RunDigest.from_results(doc), None, timeout=10)
    assert [o.status for o in outcomes] == ["sent"]
    body = http_receiver.under("/hooks/")[0].text
    assert SECRET not in body and MASK in body


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_teams_workflows_get_the_short_text_in_an_adaptive_card(
    https_receiver: HttpReceiver,
) -> None:
    """Apprise's Teams Workflows target, pointed at a local HTTPS receiver."""
    signature = "Sig0aXk9Fz2LmQ7"
    url = f"workflows://127.0.0.1:{https_receiver.port}/WorkflowId123/{signature}?verify=no"
    targets = load(url)
    digest = RunDigest.from_results(FAILED_NIGHT)
    outcomes = targets.send(digest, None, timeout=20)
    assert [(o.target, o.status) for o in outcomes] == [
        (f"workflows://127.0.0.1:{https_receiver.port}/…", "sent")
    ]
    posts = https_receiver.requests
    assert len(posts) == 1
    assert posts[0].path.startswith("/workflows/WorkflowId123/triggers/manual/paths/invoke?")
    assert f"sig={signature}" in posts[0].path
    card = json.loads(posts[0].text)["attachments"][0]["content"]
    texts = [block.get("text", "") for block in card["body"]]
    assert digest.title in texts
    body = next(t for t in texts if t.startswith("Workflow 5"))
    # Teams reads Markdown: Apprise escapes what would be markup ("\(", "\=").
    assert body.replace("\\", "") == digest.short_text()
    assert signature not in str(outcomes[0].to_dict())


HANGING_MAIL = """
import socket, sys, threading
from aperture_verify.notify.digest import RunDigest
from aperture_verify.notify.targets import Targets
from aperture_verify.plan.model import NotifySettings

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(5)
held = []  # accepted, never answered: an SMTP server that hangs
threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
url = f"mailto://127.0.0.1:{server.getsockname()[1]}?from=a@example.com&to=b@example.com"
targets = Targets.load(NotifySettings(on=("always",)), {"APERTURE_NOTIFY": url})
digest = RunDigest.from_results({"plan": {"name": "p"}, "exit_status": 12, "workflows": []})
print([o.status for o in targets.send(digest, None, timeout=1.0)])
"""


@pytest.mark.slow  # a Python subprocess, timed from start to exit
def test_a_hanging_mail_server_does_not_hold_the_process_past_the_limit() -> None:
    """Apprise stops waiting at the limit; its thread must not keep the run from
    exiting until SMTP's own 15 s timeout."""
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", HANGING_MAIL], capture_output=True, text=True, timeout=60
    )
    took = time.monotonic() - began
    assert done.stdout.strip() == "['timeout']", done.stderr
    assert took < 8.0, took  # start-up + 1 s limit + 1 s grace; 15 s and more without it
