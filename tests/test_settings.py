"""The one settings module: environment variables in, clear errors on bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from evidence.settings import env_bool, env_int

ROOT = Path(__file__).resolve().parent.parent


def test_env_helpers_read_and_refuse(monkeypatch):
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be a boolean"):
        env_bool("FLAG", True)
    monkeypatch.setenv("NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="NUMBER must be an integer"):
        env_int("NUMBER", 1)
    monkeypatch.delenv("NUMBER")
    assert env_int("NUMBER", 7) == 7


def settings_in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DATABASE_REPLICA_URLS", "REDIS_URL"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="evidence.settings")
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = settings_in_subprocess("print(settings.DEBUG)", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_database_url_chooses_the_database():
    result = settings_in_subprocess(
        "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])",
        DATABASE_URL="postgres://someone@db.example:5432/evidence",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "evidence"]
    default = settings_in_subprocess("print(settings.DATABASES['default'])")
    assert "sqlite3" in default.stdout and "journal_mode=WAL" in default.stdout and "IMMEDIATE" in default.stdout


def test_check_deploy_is_clean_with_production_settings():
    # (The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never does.)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(
        DEBUG="0",
        SECRET_KEY="a-production-secret-" + "x7Qp9" * 10,
        ALLOWED_HOSTS="evidence.example.org",
        DJANGO_SETTINGS_MODULE="evidence.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_admin_path_is_configurable():
    result = settings_in_subprocess(
        "from django.urls import reverse; print(reverse('admin:index'))", ADMIN_PATH="/curation-desk/"
    )
    assert result.stdout.strip() == "/curation-desk/"
