"""Settings come from the environment; malformed values stop the start with a clear error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from newsdesk.settings.env import env_bool, env_int, env_list, env_path, env_str


def test_unset_variables_give_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSDESK_X", raising=False)

    assert env_str("NEWSDESK_X", "a") == "a"
    assert env_int("NEWSDESK_X", 8000) == 8000
    assert env_bool("NEWSDESK_X", True) is True
    assert env_list("NEWSDESK_X", ["a", "b"]) == ["a", "b"]


def test_set_variables_are_read_and_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_PORT", " 2526 ")
    monkeypatch.setenv("NEWSDESK_FLAG", "off")
    monkeypatch.setenv("NEWSDESK_HOSTS", "a.example, ,b.example")
    monkeypatch.setenv("NEWSDESK_DIR", "data")

    assert env_int("NEWSDESK_PORT", 1) == 2526
    assert env_bool("NEWSDESK_FLAG", True) is False
    assert env_list("NEWSDESK_HOSTS", []) == ["a.example", "b.example"]
    assert env_path("NEWSDESK_DIR", Path("/x"), base=Path("/srv/newsdesk")) == Path(
        "/srv/newsdesk/data"
    )


@pytest.mark.parametrize(
    ("value", "reader", "message"),
    [
        (
            "eighty",
            lambda: env_int("NEWSDESK_PORT", 1),
            "NEWSDESK_PORT='eighty' is not a whole number",
        ),
        (
            "70000",
            lambda: env_int("NEWSDESK_PORT", 1, maximum=65535),
            "must be at least 0 and at most 65535",
        ),
        ("maybe", lambda: env_bool("NEWSDESK_PORT", True), "is not a boolean"),
    ],
)
def test_malformed_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, reader: object, message: str
) -> None:
    monkeypatch.setenv("NEWSDESK_PORT", value)

    with pytest.raises(ImproperlyConfigured, match=message):
        reader()  # type: ignore[operator]


def test_the_configured_cache_stores_and_returns_values() -> None:
    # With REDIS_URL set (the PostgreSQL run in CI) this goes over a real Redis connection.
    cache.set("newsdesk-test-key", {"n": 1}, timeout=30)

    assert cache.get("newsdesk-test-key") == {"n": 1}
    cache.delete("newsdesk-test-key")


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    result = _manage({"DJANGO_SETTINGS_MODULE": "newsdesk.settings.prod"}, "check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_settings_pass_the_deployment_checks() -> None:
    result = _manage(
        {
            "DJANGO_SETTINGS_MODULE": "newsdesk.settings.prod",
            "DJANGO_SECRET_KEY": "x" * 20
            + "-long-random-production-secret-"
            + "y" * 20,
            "DJANGO_ALLOWED_HOSTS": "news.example",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )

    assert result.returncode == 0, result.stderr
