"""End to end: a scheduled run tells someone, with real receivers, at -n 0 and -n 2.

A failing night against the emulator sends exactly one e-mail (report.html
attached) to a local SMTP server and exactly one message to each webhook, and
pings the monitor exactly twice (start, then its exit status); a failing and an
unreachable target are one warning line each and an entry in results.json, and
change nothing else; a secret in a target URL is in no report and no log. A
passing run after a failing one is a recovery; the next one tells no one.
Mistakes in the configuration stop the run before anything is executed.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from aperture_verify.emulator import StepScript
from phase_project import Project, workflow
from receivers import HttpReceiver, SmtpReceiver, mail_parts

pytestmark = pytest.mark.slow  # every test here runs pytest in a subprocess

SECRET = "Hook5ecretT0ken77"
CHECK = "5b1e7c6a-0c3b-4f7e-9a51-31f0d7e2c9aa"
FAILING = "Wörkflow 5 ✓"
PHASES = {"ingest": ["W1"], "enrich": [FAILING, "W6"], "publish": ["W7"]}


def add_workflows(project: Project, *, fail: bool) -> None:
    steps = (StepScript("Load", type="SOURCE", rows_out=10),)
    for label in ("W1", "W6", "W7"):
        project.emulator.add_workflow(workflow(label, 0.3, steps=steps))
    kw = {"outcome": "FAILED", "error": "table PRODUCTS is locked"} if fail else {}
    project.emulator.add_workflow(workflow(FAILING, 0.3, steps=steps, **kw))


def output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


def results_doc(project: Project) -> dict[str, object]:
    return dict(json.loads((project.path / "reports" / "results.json").read_text()))


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_failing_night_sends_one_mail_one_webhook_and_two_pings(
    project: Project,
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
    closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
    workers: str,
) -> None:
    add_workflows(project, fail=True)
    project.write(PHASES, extra='[notify]\non = ["failure"]\ntimeout = "20s"\n')
    hook = http_receiver.url(f"/hooks/{SECRET}", scheme="json", userinfo=f"ops:{SECRET}@")
    broken = http_receiver.url(f"/broken/{SECRET}", scheme="json")
    gone = f"json://127.0.0.1:{closed_port}/{SECRET}"
    monkeypatch.setenv("APERTURE_NOTIFY", f"{smtp_receiver.url()} {hook} {broken} {gone}")
    monkeypatch.setenv("APERTURE_PING_URL", http_receiver.url(f"/ping/{CHECK}"))

    result = project.run("-n", workers)

    assert result.ret == 12, output(result)
    doc = results_doc(project)
    run_id = str(doc["run_id"])
    rid = str(uuid.UUID(hex=run_id))
    # Exactly one message to each target, exactly two pings, nothing else.
    assert len(smtp_receiver.messages) == 1
    assert len(http_receiver.under("/hooks/")) == 1
    assert len(http_receiver.under("/broken/")) == 1
    pings = http_receiver.under("/ping/")
    assert [p.path for p in pings] == [
        f"/ping/{CHECK}/start?rid={rid}",
        f"/ping/{CHECK}/12?rid={rid}",
    ]
    assert len(http_receiver.requests) == 4
    # The mail: the verdict as its subject, the whole story, report.html attached.
    mail = smtp_receiver.messages[0]
    assert mail["Subject"] == "aperture: main FAILED (exit 12, execution failure)"
    text, files = mail_parts(mail)
    report = project.path / "reports" / "report.html"
    assert files == {"report.html": report.read_bytes()}
    assert f"- {FAILING} (phase enrich): execution failure: " in text
    assert "table PRODUCTS is locked" in text
    assert "- W7: " in text  # not run, and why
    # The webhook: the short text; the end ping carries the same as its log.
    payload = json.loads(http_receiver.under("/hooks/")[0].text)
    assert payload["title"] == "aperture: main FAILED (exit 12, execution failure)"
    assert payload["message"].startswith(f"{FAILING} (phase enrich): execution failure: ")
    assert payload["message"] == pings[1].text
    # The two that failed: one warning line each, an entry each, the exit status kept.
    entries = doc["notifications"]
    assert isinstance(entries, list)
    assert [(e["kind"], e["status"]) for e in entries] == [
        ("ping", "sent"),
        ("notification", "sent"),
        ("notification", "sent"),
        ("notification", "failed"),
        ("notification", "failed"),
        ("ping", "sent"),
    ]
    warnings = [line for line in result.outlines if line.startswith("aperture: WARNING: notif")]
    assert len(warnings) == 2, output(result)
    # The log: the run id and date first and last, the verdict last, one traceback.
    lines = [line for line in result.outlines if line.strip()]
    assert lines[0].startswith(f"aperture: run {run_id} started 20")
    assert lines[-1].startswith(
        f"aperture: main FAILED (exit 12, execution failure): {FAILING}: state = FAILED"
    )
    assert lines[-1].endswith(" UTC") or lines[-1][-4:-3] == " "
    assert f"; report: reports/report.html · run {run_id}, ended 20" in lines[-1]
    assert "During handling of the above exception" not in output(result)
    # No secret anywhere a person or a CI server reads.
    for name in ("report.html", "junit.xml", "results.json"):
        assert SECRET not in (project.path / "reports" / name).read_text(encoding="utf-8")
        assert CHECK not in (project.path / "reports" / name).read_text(encoding="utf-8")
    assert SECRET not in output(result) and CHECK not in output(result)


def test_a_passing_run_after_a_failing_one_is_a_recovery_then_quiet(
    project: Project, http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write(PHASES)  # on = failure and recovery, the default
    monkeypatch.setenv("APERTURE_NOTIFY", http_receiver.url("/hooks/x", scheme="json"))
    monkeypatch.setenv("APERTURE_PING_URL", http_receiver.url("/ping/y"))
    titles = []
    for fail, status in ((True, 12), (False, 0), (False, 0)):
        add_workflows(project, fail=fail)
        assert project.run().ret == status
        titles.append([json.loads(r.text)["title"] for r in http_receiver.under("/hooks/")])
    assert titles == [
        ["aperture: main FAILED (exit 12, execution failure)"],
        ["aperture: main FAILED (exit 12, execution failure)", "aperture: main PASSED again"],
        ["aperture: main FAILED (exit 12, execution failure)", "aperture: main PASSED again"],
    ]
    ends = [r.path.split("?")[0] for r in http_receiver.under("/ping/") if "/start" not in r.path]
    assert ends == ["/ping/y/12", "/ping/y", "/ping/y"]


def test_targets_written_in_plans_toml_run_nothing(project: Project) -> None:
    add_workflows(project, fail=False)
    project.write(PHASES, extra='[notify]\nurls = ["json://hooks.example.com/x"]\n')
    result = project.run()
    assert result.ret == 4
    assert "notify.urls: notification targets carry secrets and never go in the plans file" in (
        output(result)
    )
    assert project.jobs() == []


def test_without_apprise_the_run_names_the_install_and_runs_nothing(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hidden = tmp_path / "no-apprise"
    hidden.mkdir()
    (hidden / "apprise.py").write_text("raise ImportError('not installed')\n")
    monkeypatch.setenv("PYTHONPATH", str(hidden))
    monkeypatch.setenv("APERTURE_NOTIFY", "json://127.0.0.1:9/x")
    add_workflows(project, fail=False)
    project.write(PHASES)
    result = project.run()
    assert result.ret == 4
    assert (
        "APERTURE_NOTIFY asks for notifications, but Apprise is not installed: "
        'pip install "aperture-verify[notify]"'
    ) in output(result)
    assert "Traceback" not in output(result)
    assert project.jobs() == []


def test_after_a_login_failure_the_skips_say_so_in_local_time(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APERTURE_API_KEY", "wrong-key-1234")
    monkeypatch.setenv("TZ", "Europe/Paris")
    add_workflows(project, fail=False)
    project.write(PHASES)
    result = project.run()
    assert result.ret == 10
    text = output(result)
    assert "(times in CET)" in text
    assert text.count('not run: the login failed and the plan says on_failure = "stop"') == 3
    assert "During handling of the above exception" not in text
    last = [line for line in result.outlines if line.strip()][-1]
    assert last.startswith("aperture: main FAILED (exit 10, login failure): login failed: ")
    assert " CET" in last


def test_a_broken_notifier_leaves_a_passing_run_at_0_and_no_notify_tells_no_one(
    project: Project,
    http_receiver: HttpReceiver,
    closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_workflows(project, fail=False)
    project.write(PHASES, extra='[notify]\non = ["always"]\n')
    monkeypatch.setenv("APERTURE_NOTIFY", http_receiver.url("/broken/x", scheme="json"))
    monkeypatch.setenv("APERTURE_PING_URL", f"http://127.0.0.1:{closed_port}/{CHECK}")
    monkeypatch.setenv("TZ", "Europe/Paris")

    quiet = project.run("--no-notify")
    assert quiet.ret == 0
    assert http_receiver.requests == []
    assert "notifications" not in results_doc(project)

    result = project.run("--utc")
    assert result.ret == 0, output(result)
    assert len(http_receiver.under("/broken/")) == 1
    assert len(http_receiver.requests) == 1
    entries = results_doc(project)["notifications"]
    assert isinstance(entries, list)
    assert [(e["kind"], e.get("event"), e["status"]) for e in entries] == [
        ("ping", "start", "failed"),
        ("notification", None, "failed"),
        ("ping", "end", "failed"),
    ]
    text = output(result)
    assert text.count("aperture: WARNING: start ping to ") == 1
    assert text.count("aperture: WARNING: end ping to ") == 1
    assert text.count("aperture: WARNING: notification to ") == 1
    assert "(times in UTC)" in text
    last = [line for line in result.outlines if line.strip()][-1]
    assert last.startswith("aperture: main PASSED; report: reports/report.html · run ")
    assert last.endswith(" UTC")
    assert CHECK not in text
