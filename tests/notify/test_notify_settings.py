"""The [notify] table of plans.toml: what it takes, and the targets it refuses to hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from aperture_verify.errors import PlanError
from aperture_verify.plan import load_plan_text
from aperture_verify.plan.model import NotifySettings

PLAN = """
default_plan = "p"
[server]
url = "https://ads.example.com"
[plans.p]
phases = ["a"]
[phases.a]
workflows = ["W1"]
"""


def notify(table: str, tmp_path: Path) -> NotifySettings:
    text = PLAN + "[notify]\n" + table
    return load_plan_text(text, str(tmp_path / "plans.toml"), environ={}, base_dir=tmp_path).notify


def test_no_table_is_nothing_configured(tmp_path: Path) -> None:
    plan = load_plan_text(PLAN, "plans.toml", environ={}, base_dir=tmp_path)
    assert plan.notify == NotifySettings()
    assert plan.notify.on == ("failure", "recovery")


def test_every_key(tmp_path: Path) -> None:
    settings = notify(
        'config = "ops/notify.yml"\n'
        'on = ["failure", "warning", "failure"]\n'
        'report_url = "${BUILD_URL}artifact/reports/report.html"\n'
        'timeout = "45s"\n'
        'ping_url = "https://hc-ping.com/5b1e7c6a-0c3b-4f7e-9a51-31f0d7e2c9aa"\n',
        tmp_path,
    )
    assert settings == NotifySettings(
        config=tmp_path / "ops" / "notify.yml",
        on=("failure", "warning"),
        report_url="${BUILD_URL}artifact/reports/report.html",
        timeout=45.0,
        ping_url="https://hc-ping.com/5b1e7c6a-0c3b-4f7e-9a51-31f0d7e2c9aa",
    )


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('urls = ["mailtos://me:pw@example.com"]', "notify.urls"),
        ('url = "json://hooks.example.com/x"', "notify.url"),
        ('targets = ["slack://T1/B2/C3"]', "notify.targets"),
        ('webhook_token = "abc"', "notify.webhook_token"),
        ('config = "jsons://user:pw@hooks.example.com/x"', "notify.config"),
    ],
)
def test_a_target_written_in_the_plans_file_is_refused(
    tmp_path: Path, table: str, key: str
) -> None:
    with pytest.raises(PlanError) as e:
        notify(table, tmp_path)
    assert str(e.value).startswith(
        f"{tmp_path / 'plans.toml'}: {key}: notification targets carry secrets and never go "
        "in the plans file; set APERTURE_NOTIFY"
    )
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('on = ["failures"]', "notify.on[0]: 'failures' is not a kind of run; use any of: "
         "failure, warning, recovery, success, always"),
        ("on = 3", "notify.on: must be an array of strings, not an integer"),
        ('timeout = "0s"', "notify.timeout: '0s' must be more than 0s"),
        ('ping_url = "hc-ping.com/x"', "notify.ping_url: must be an http:// or https:// URL"),
        ('report = "x"', "notify.report: unknown key"),
    ],
)  # fmt: skip
def test_a_mistake_is_one_line_naming_the_key(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(PlanError) as e:
        notify(table, tmp_path)
    assert message in str(e.value)
