"""Settings come from the environment, and malformed or missing essentials fail fast."""

import gzip
import os
import re
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from socialforvaltning.settings import BASE_DIR, database_from_url, env_bool


def test_a_postgres_url_becomes_a_postgresql_database():
    db = database_from_url("postgres://reg:s%40cret@db.example:5433/registry?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("registry", "reg", "s@cret")
    assert (db["HOST"], db["PORT"]) == ("db.example", "5433")
    assert db["OPTIONS"] == {"sslmode": "require", "options": "-c jit=off"}


def test_postgresqls_jit_is_off_unless_the_url_says_otherwise():
    url = "postgres://reg@db.example/registry?options=-c%20work_mem%3D64MB"
    assert database_from_url(url)["OPTIONS"] == {"options": "-c work_mem=64MB"}


def test_a_relative_sqlite_url_lives_in_the_project_folder():
    assert database_from_url("sqlite:///db.sqlite3")["NAME"] == str(BASE_DIR / "db.sqlite3")
    assert database_from_url("sqlite:////tmp/x.db")["NAME"] == "/tmp/x.db"


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "nonsense"])
def test_an_unsupported_database_url_is_refused(url):
    with pytest.raises(ImproperlyConfigured):
        database_from_url(url)


def test_a_malformed_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("DJANGO_DEBUG", True)


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.slow
def test_production_names_static_files_by_their_content_and_compresses_them(tmp_path):
    """What `make serve` does before gunicorn starts: a changed stylesheet gets a new name,
    so browsers may keep each one for a year."""
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "a-test-secret-that-is-long-enough-for-the-check-0123456789",
        "DJANGO_STATIC_ROOT": str(tmp_path),
    }
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    printed = subprocess.run(
        [
            *manage,
            "shell",
            "--no-imports",
            "-c",
            "from django.templatetags.static import static;print(static('css/registry.css'))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert re.fullmatch(r"/static/css/registry\.[0-9a-f]{12}\.css", printed)
    served = tmp_path / printed.removeprefix("/static/")
    assert served.read_bytes() == (BASE_DIR / "static/css/registry.css").read_bytes()
    assert gzip.decompress(served.with_name(served.name + ".gz").read_bytes()) == (
        served.read_bytes()
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_CONN_MAX_AGE", "sixty", "DJANGO_CONN_MAX_AGE must be a whole number"),
        ("DATABASE_URL", "postgres://db:port/registry", "DATABASE_URL has a malformed port"),
        ("REGISTRY_PUBLIC", "maybe", "REGISTRY_PUBLIC must be true or false"),
        ("REGISTRY_CACHE_URL", "memcached://x", "REGISTRY_CACHE_URL must start with redis://"),
        ("REGISTRY_CACHE_URL", "redis://h:notaport/0", "REGISTRY_CACHE_URL has a malformed port"),
        ("DJANGO_ALLOWED_HOSTS", ",", "DJANGO_ALLOWED_HOSTS is empty"),
        ("REGISTRY_RECORDED_UP_TO", "March 2011", "REGISTRY_RECORDED_UP_TO must be a date"),
    ],
)
def test_a_malformed_setting_is_one_clear_line_not_a_traceback(variable, value, message):
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x", variable: value}
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Configuration error: {message}")
