"""The README's set-up command, run for real against a fresh SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings


@pytest.mark.slow
def test_bootstrap_loads_the_seed_once_into_a_fresh_database(tmp_path: Path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bootstrap"]
    first = subprocess.run(manage, env=env, capture_output=True, text=True, check=True)
    assert "Loaded the seed: 34 units, 9 reorganisations." in first.stdout
    second = subprocess.run(manage, env=env, capture_output=True, text=True, check=True)
    assert "already holds data" in second.stdout
