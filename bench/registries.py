"""The registries the benchmark times: prepared fresh for a run and dropped after it, kept
under a stable name and reused by later runs (`--reuse`), or an existing one used as it is
(`--database-url SIZE=URL`).

A prepared registry is the seed (`manage.py bootstrap`) and `manage.py generate_org --units N
--years Y --seed S`. A kept one is named `sf_bench_<size>_y<years>_s<seed>`: a PostgreSQL
database of that name, or `bench/.registries/<name>.sqlite3`; beside it
`bench/.registries/<name>.json` records how long generating it took and its peak memory, and
is written only once it is complete, so an interrupted generation is started over rather
than reused. A kept registry is migrated before each run, so that it matches the code.
"""

import atexit
import functools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
KEPT = PROJECT / "bench" / ".registries"
PYTHON = sys.executable
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


@functools.cache
def static_root() -> str:
    """A folder of the benchmark's own with what `collectstatic` builds for production: the
    pages name their static files through its manifest, as in production."""
    folder = tempfile.mkdtemp(prefix="sf_bench_static_")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_STATIC_ROOT": folder,
    }
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return folder


def settings_env(database_url: str, files: str) -> dict:
    """Production settings (debug off) on the given database, answering the test client;
    `files` is the folder of the files the worker builds (the EAC-CPF zip)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        # One JSON line per request would be written to stderr while timing: not the page.
        "REGISTRY_REQUEST_LOG_LEVEL": "WARNING",
        # The content-hashed static file names of production (see static_root).
        "DJANGO_STATIC_ROOT": static_root(),
        "REGISTRY_FILES_DIR": files,
    }
    env.pop("REGISTRY_CACHE_URL", None)  # the default per-process page cache
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT, env=env, check=True)


def run_measured(command: list[str], env: dict) -> tuple[float, float]:
    """Run a command to its end; return its seconds and its peak memory in MB (the largest
    resident set of it and of the processes it waited for, as /usr/bin/time -v reports)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT, env=env)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not all children's
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return time.perf_counter() - started, usage.ru_maxrss / 1024  # ru_maxrss is in KiB


def populate(env: dict, size: str, years: int, seed: int) -> dict:
    """Bootstrap the seed and generate `size` units: how long it took, and its peak memory."""
    seconds, peak = run_measured([PYTHON, "manage.py", "bootstrap", "--verbosity", "0"], env)
    if size != "seed":
        options = ["--units", size, "--years", str(years), "--seed", str(seed)]
        more, peak_more = run_measured([PYTHON, "manage.py", "generate_org", *options], env)
        seconds, peak = seconds + more, max(peak, peak_more)
    return {"generate_seconds": round(seconds, 1), "generate_peak_mb": round(peak)}


def analyze(url: str) -> None:
    """PostgreSQL: every table vacuumed and its planner statistics read, as autovacuum keeps
    them in service. Without statistics (autovacuum may be off, or not yet round) the plans
    of a freshly generated registry are guesses: the change feed took 23 s at 10,000 units,
    0.6 s after. Without a vacuum the task search's trigram index still holds its bulk
    inserts in an unsorted pending list, read through on every search (8 ms at 10,000
    units, 1 ms after); a plain ANALYZE leaves it, autovacuum does not."""
    if _vendor(url) != "postgres":
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def tables_without_statistics(url: str) -> list[str]:
    """PostgreSQL: the tables of more than a thousand rows never analyzed (read only)."""
    if _vendor(url) != "postgres":
        return []
    import psycopg

    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 1000"
            " AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname"
        ).fetchall()
    return [name for (name,) in rows]


class Registry:
    """A registry to time: `url`, the folder of its built files, and how it came to be
    (`prepare` says: "generated", "reused" or "existing", with the figures of its making)."""

    writable = True  # the pages that write (the EAC-CPF zip's job) may be timed on it

    def prepare(self, size: str, years: int, seed: int) -> dict:
        env = settings_env(self.url, self.files)
        made = populate(env, size, years, seed)
        analyze(self.url)
        return {"registry": "generated", **made}

    def drop(self) -> None:
        pass


class FreshSqlite(Registry):
    def __init__(self, size: str):
        self.folder = tempfile.TemporaryDirectory(prefix="sf_bench_")
        self.url = f"sqlite:///{self.folder.name}/registry-{size}.sqlite3"
        self.files = f"{self.folder.name}/files"

    def drop(self) -> None:
        self.folder.cleanup()


def _admin(sql: str) -> list:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


class FreshPostgres(Registry):
    def __init__(self, size: str):
        self.name = f"sf_bench_{os.getpid()}_{size}"
        self.url = f"{POSTGRES}/{self.name}"
        self.folder = tempfile.TemporaryDirectory(prefix="sf_bench_files_")
        self.files = self.folder.name
        _admin(f'DROP DATABASE IF EXISTS "{self.name}"')
        _admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        _admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.folder.cleanup()


class Kept(Registry):
    """A registry kept under a stable name between runs: generated the first time, migrated
    and reused after."""

    def __init__(self, db: str, size: str, years: int, seed: int):
        self.db = db
        self.name = f"sf_bench_{size}_y{years}_s{seed}"
        self.record = KEPT / f"{self.name}-{db}.json"
        self.files = str(KEPT / f"{self.name}-{db}-files")
        KEPT.mkdir(parents=True, exist_ok=True)
        if db == "sqlite":
            self.path = KEPT / f"{self.name}.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.url = f"{POSTGRES}/{self.name}"

    def _exists(self) -> bool:
        if self.db == "sqlite":
            return self.path.exists()
        found = _admin(f"SELECT 1 FROM pg_database WHERE datname = '{self.name}'")
        return bool(found)

    def _start_over(self) -> None:
        shutil.rmtree(self.files, ignore_errors=True)
        if self.db == "sqlite":
            self.path.unlink(missing_ok=True)
        else:
            _admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            _admin(f'CREATE DATABASE "{self.name}"')

    def prepare(self, size: str, years: int, seed: int) -> dict:
        env = settings_env(self.url, self.files)
        if self.record.exists() and self._exists():
            started = time.perf_counter()
            manage(env, "migrate", "--verbosity", "0")
            analyze(self.url)
            made = json.loads(self.record.read_text())
            migrated = round(time.perf_counter() - started, 1)
            return {**made, "registry": "reused", "migrate_seconds": migrated}
        self.record.unlink(missing_ok=True)
        self._start_over()
        made = populate(env, size, years, seed)
        analyze(self.url)
        self.record.write_text(json.dumps(made, indent=1))  # complete: reusable from now on
        return {"registry": "generated", **made}


class Existing(Registry):
    """A registry someone else keeps (`--database-url SIZE=URL`), used as it is: not
    migrated, not written, not dropped; the pages that write are not timed on it."""

    writable = False

    def __init__(self, url: str):
        self.url = url
        self.folder = tempfile.TemporaryDirectory(prefix="sf_bench_files_")
        self.files = self.folder.name

    def prepare(self, size: str, years: int, seed: int) -> dict:
        env = settings_env(self.url, self.files)
        # Read-only: whether its tables match the code is said, not fixed.
        check = [PYTHON, "manage.py", "migrate", "--check", "--verbosity", "0"]
        if subprocess.run(check, cwd=PROJECT, env=env, capture_output=True).returncode:
            print(f"  {self.url}: migrations are missing; pages may fail", file=sys.stderr)
        unanalyzed = tables_without_statistics(self.url)
        if unanalyzed:
            tables = ", ".join(unanalyzed)
            print(f"  {self.url}: no planner statistics for {tables}", file=sys.stderr)
        return {"registry": "existing", "tables_without_statistics": unanalyzed}

    def drop(self) -> None:
        self.folder.cleanup()


def _vendor(url: str) -> str:
    scheme = url.split(":", 1)[0]
    return "postgres" if scheme in ("postgres", "postgresql") else scheme


def registry(db: str, size: str, args) -> Registry:
    """The registry of `size` units on `db` that the options ask for."""
    existing = args.database_url.get(size)
    if existing and _vendor(existing) == db:
        return Existing(existing)
    if args.reuse:
        return Kept(db, size, args.years, args.seed)
    return FreshSqlite(size) if db == "sqlite" else FreshPostgres(size)
