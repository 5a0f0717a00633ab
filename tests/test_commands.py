"""The README's set-up command, run for real against a fresh SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.fresh_databases import run_script


@pytest.mark.slow
def test_bootstrap_loads_the_seed_once_into_a_fresh_database(tmp_path: Path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bootstrap"]
    first = subprocess.run(manage, env=env, capture_output=True, text=True, check=True)
    assert "Loaded the seed: 34 units, 10 reorganisations." in first.stdout
    second = subprocess.run(manage, env=env, capture_output=True, text=True, check=True)
    assert "already holds data" in second.stdout


@pytest.mark.slow
def test_demo_users_are_refused_when_debug_is_off(tmp_path: Path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "a-test-secret-that-is-long-enough-for-the-check-0123456789",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bootstrap"]
    result = subprocess.run([*manage, "--demo-users"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "refused when debug is off" in result.stderr


@pytest.mark.slow
def test_demo_users_get_fresh_passwords_in_a_local_trial(tmp_path: Path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'trial.sqlite3'}",
        "DJANGO_DEBUG": "true",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bootstrap"]
    first = subprocess.run([*manage, "--demo-users"], env=env, capture_output=True, text=True)
    second = subprocess.run([*manage, "--demo-users"], env=env, capture_output=True, text=True)
    passwords = [
        [line.rsplit(" ", 1)[1] for line in run.stdout.splitlines() if "password" in line]
        for run in (first, second)
    ]
    assert len(passwords[0]) == 2 and passwords[0] != passwords[1]


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (["--writers", "100000"], "--writers: 100000 is not from 1 to 64"),
        (["--seconds", "nan"], "--seconds: nan is not from 1 to 3600"),
        (["--readers", "-1"], "--readers: -1 is not from 0 to 64"),
    ],
)
def test_the_stress_test_refuses_what_would_overload_the_machine(tmp_path: Path, given, said):
    refused = run_script(f"sqlite:///{tmp_path / 'x.sqlite3'}", "bench/stress.py", *given)
    assert refused.returncode == 2
    assert said in refused.stderr


def test_the_stress_test_says_plainly_when_the_database_does_not_answer():
    refused = run_script("postgres://postgres@127.0.0.1:1/nowhere", "bench/stress.py")
    assert refused.returncode == 1
    assert "Databasen svarer ikke" in refused.stderr  # the registry speaks Danish by default
    assert "Traceback" not in refused.stderr
