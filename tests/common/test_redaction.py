"""One rule for secrets: which names hold one, how values are masked, how URLs are shown."""

from __future__ import annotations

import pytest

from aperture_verify.common.redaction import MASK, is_secret_key, redact, safe_url


@pytest.mark.parametrize(
    "key",
    [
        # environment and report metadata
        "APERTURE_API_KEY",
        "db_password",
        "GITHUB_TOKEN",
        "Authorization",
        "client_secret",
        "SSH_PRIVATE_KEY",
        # plans.toml keys and workflow parameters, however they are spelled
        "api_key",
        "API-Key",
        "apikey",
        "APIKey",
        "accessToken",
        "bearer_token",
        "Password",
        "pwd",
        "passphrase",
        "username",
        "credentials",
        # URL query parameters
        "key",
        "X-Amz-Signature",
        "sig",
        "password1",
        "DB_PASSWORD_2",
    ],
)
def test_secret_looking_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "Plan",
        "Server",
        "BUILD_URL",
        "BUILD_NUMBER",
        "Packages",
        "Python",
        "Platform",
        "JOB_NAME",
        "NODE_NAME",
        "sort_key",
        "lookup_key",
        "author",
        "monkey",
        "tokenizer",
        "Région",
        "token_count",
        "auth_mode",
        "PASSWORD_FILE",
        "TOKEN_URL",
        "42",
    ],
)
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_redact_replaces_every_secret_of_any_length() -> None:
    assert redact("token abc and key SECRET-KEY-1234", ["SECRET-KEY-1234", "abc", ""]) == (
        f"token {MASK} and key {MASK}"
    )


def test_redact_finds_a_secret_in_the_forms_reports_escape_it_to() -> None:
    secret = 'p&ss<"wörd'
    assert redact("<td>p&amp;ss&lt;&quot;wörd</td>", [secret]) == f"<td>{MASK}</td>"
    assert redact('<td>p&amp;ss&lt;"wörd</td>', [secret]) == f"<td>{MASK}</td>"
    assert redact("<td>p&amp;ss&lt;&#34;wörd</td>", [secret]) == f"<td>{MASK}</td>"  # Jinja2's
    assert redact('{"e": "p&ss<\\"w\\u00f6rd"}', [secret]) == f'{{"e": "{MASK}"}}'
    assert redact('{"e": "p&ss<\\"wörd"}', [secret]) == f'{{"e": "{MASK}"}}'


def test_redact_masks_a_secret_that_contains_another_whole() -> None:
    assert redact("pw: hunter2-long", ["hunter2", "hunter2-long"]) == f"pw: {MASK}"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@host:7701/api", "http://host:7701/api"),
        ("https://host/api?x=1", "https://host/api?x=1"),
        ("http://a%40b:p%40ss@host/", "http://host/"),
        (
            "https://bob:pw-1@ads.example.com:7701/?apikey=zz&page=2",
            "https://ads.example.com:7701/?page=2",
        ),
        ("https://Host.Example/Path?state=RUNNING", "https://Host.Example/Path?state=RUNNING"),
        ("not a url", "not a url"),
    ],
)
def test_safe_url(url: str, shown: str) -> None:
    assert safe_url(url) == shown
