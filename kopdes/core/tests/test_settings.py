"""The production profile: refuses to start without its secrets, passes the deploy check."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"KOPDES_TESTING", "DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(  # noqa: S603  (our own manage.py with fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_its_secrets():
    result = run_manage("check", DJANGO_ENV="production")

    assert result.returncode != 0
    assert "SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS, PAYMENT_WEBHOOK_SECRET" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = run_manage(
        "check",
        DJANGO_ENV="production",
        SECRET_KEY="short",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        ALLOWED_HOSTS="kopdes.example.id",
        PAYMENT_WEBHOOK_SECRET=secrets.token_urlsafe(32),
    )

    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_production_passes_the_deploy_check_with_zero_warnings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        ALLOWED_HOSTS="kopdes.example.id",
        PAYMENT_WEBHOOK_SECRET=secrets.token_urlsafe(32),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _database_options(**env: str) -> str:
    code = "from django.conf import settings as s; print(sorted(s.DATABASES['default']['OPTIONS'].items()))"
    result = run_manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's note of what it imported


def test_postgresql_prepares_statements_keeping_the_urls_own_options():
    options = _database_options(DATABASE_URL="postgresql://kopdes@db.example.id/kopdes?sslmode=require")
    assert options == "[('prepare_threshold', 2), ('server_side_binding', True), ('sslmode', 'require')]"

    behind_a_pooler = _database_options(DATABASE_URL="postgresql://kopdes@pooler/kopdes", PG_PREPARED="0")
    assert "server_side_binding" not in behind_a_pooler
