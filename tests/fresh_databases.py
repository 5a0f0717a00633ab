"""Fresh, empty databases for tests that run the registry's commands in a subprocess (as the
browser tests do), on SQLite files or on the PostgreSQL server the suite runs against.

Each PostgreSQL database gets a random name and is dropped afterwards, whatever happened."""

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _server() -> dict:
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or "5432",
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or "",
    }


def _maintenance(statement):
    import psycopg

    server = _server()
    with psycopg.connect(
        host=server["host"],
        port=server["port"],
        user=server["user"],
        password=server["password"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(statement)


@contextlib.contextmanager
def postgres_database(prefix: str):
    """The URL of a new, empty database on the suite's PostgreSQL server, dropped on exit."""
    from psycopg import sql

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _maintenance(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    server = _server()
    auth = quote(server["user"], safe="")
    if server["password"]:
        auth += ":" + quote(server["password"], safe="")
    try:
        yield f"postgres://{auth}@{server['host']}:{server['port']}/{name}"
    finally:
        _maintenance(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def manage(database_url: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `manage.py args…` against `database_url`; the caller checks the outcome."""
    return run_script(database_url, "manage.py", *args, timeout=timeout)


def run_script(
    database_url: str, script: str, *args: str, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run a script of the project (manage.py, bench/stress.py) with `args…` against
    `database_url`, debug on; the caller checks the outcome."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "true"}
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage_ok(database_url: str, *args: str, timeout: float = 600) -> str:
    """Run `manage.py args…` and return its output; fail the test with the output if it
    fails."""
    result = manage(database_url, *args, timeout=timeout)
    assert result.returncode == 0, (
        f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout
