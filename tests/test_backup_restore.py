"""Nothing lost: a registry backed up and restored into an empty database gives the same
answers to as-of-date questions (the tree unit by unit with names, the owner of every task),
has the same history (every row, with who and why) and passes check_registry.

The registries are real ones in fresh databases, driven through manage.py in subprocesses:
the portable format on SQLite always; on PostgreSQL runs also pg_dump's format, the portable
format, and the portable format from PostgreSQL into SQLite."""

import gzip
import json
from pathlib import Path

import pytest

from tests.fresh_databases import manage, manage_ok, on_postgres, postgres_database
from tests.registry_answers import ARCHIVIST, EDITED_ON

pytestmark = pytest.mark.slow

MORE_EDITS = (
    "from orgunits.models import Unit; unit = Unit.objects.get(slug='trykkeriet'); "
    "unit.description = 'Efter backuppen'; unit._change_reason = 'Senere rettelse'; unit.save()"
)


def answers_of(url: str, *, edit_first: bool = False) -> dict:
    code = "from tests.registry_answers import edit, print_answers; print_answers()"
    if edit_first:
        code = code.replace("print_answers()", "edit(); print_answers()")
    out = manage_ok(url, "shell", "-v", "0", "-c", code)
    return json.loads(out.strip().splitlines()[-1])


def edited_registry(url: str) -> dict:
    """Bootstrap, then a correction and a reorganisation by an archivist; its answers."""
    manage_ok(url, "bootstrap")
    answers = answers_of(url, edit_first=True)
    assert answers["problems"] == []
    moved = {row[0]: row[1] for row in answers["tree"][EDITED_ON.isoformat()]}
    assert moved["uddannelsescentret"] == "center-for-tvaergaaende-funktioner"
    by_archivist = {
        (model, row["history_change_reason"])
        for model, rows in answers["history"].items()
        for row in rows
        if row["history_user"] == ARCHIVIST
    }
    assert ("HistoricalUnitName", "Stavefejl i navnet") in by_archivist
    assert ("HistoricalUnit", "Beskrivelsen præciseret") in by_archivist
    assert ("HistoricalUnitNode", "Testomorganisering før backup") in by_archivist
    assert ("HistoricalResponsibility", "Testomorganisering før backup") in by_archivist
    return answers


def version_of(url: str) -> str:
    code = "from socialforvaltning.version import data_version; print(data_version())"
    return manage_ok(url, "shell", "-v", "0", "-c", code).strip().splitlines()[-1]


def assert_same_registry(restored: dict, original: dict):
    for question in ("tree", "owners", "history"):
        assert restored[question] == original[question], f"the {question} differs"
    assert restored["problems"] == []


@pytest.fixture(scope="module")
def sqlite_registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backup")
    url = f"sqlite:///{folder / 'registry.sqlite3'}"
    return url, folder, edited_registry(url)


@pytest.fixture(scope="module")
def postgres_registry(tmp_path_factory):
    if not on_postgres():
        pytest.skip("needs the PostgreSQL server")
    with postgres_database("sf_backup_source") as url:
        yield url, tmp_path_factory.mktemp("pg-backup"), edited_registry(url)


def test_a_portable_backup_restores_the_same_registry_on_sqlite(sqlite_registry):
    url, folder, original = sqlite_registry
    backup = folder / "registry.json.gz"
    assert "portable" in manage_ok(url, "backup_registry", str(backup))
    restored = f"sqlite:///{folder / 'restored.sqlite3'}"
    manage_ok(restored, "restore_registry", str(backup))
    assert_same_registry(answers_of(restored), original)


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(sqlite_registry):
    url, folder, original = sqlite_registry
    backup = folder / "before-more-edits.json.gz"
    manage_ok(url, "backup_registry", str(backup))
    seen = {version_of(url)}
    manage_ok(url, "shell", "-c", MORE_EDITS)
    seen.add(version_of(url))

    refused = manage(url, "restore_registry", str(backup))
    assert refused.returncode != 0
    assert "not empty" in refused.stderr or "ikke tom" in refused.stderr

    manage_ok(url, "restore_registry", "--force", str(backup))
    assert_same_registry(answers_of(url), original)
    # Pages cached or held by browsers under any earlier version are stale: a new epoch.
    epoch = version_of(url).split(".")[0]
    assert epoch not in {version.split(".")[0] for version in seen}


def edited_backups(whole: Path) -> dict[str, bytes]:
    """The whole backup with one record given twice (loaddata would save the second over
    the first), and with a number no column holds."""
    records = json.loads(gzip.decompress(whole.read_bytes()))
    unit = next(r for r in records if r["model"] == "orgunits.unit")
    twice = [*records, {**unit, "fields": {**unit["fields"], "slug": "zz-twice"}}]
    node = next(r for r in records if r["model"] == "orgunits.unitnode")
    huge = [
        r if r is not node else {**r, "fields": {**r["fields"], "position": 10**30}}
        for r in records
    ]
    return {"twice.json": json.dumps(twice).encode(), "huge.json": json.dumps(huge).encode()}


def test_a_truncated_or_foreign_backup_replaces_nothing_even_when_forced(sqlite_registry):
    url, folder, _original = sqlite_registry
    whole = folder / "whole.json.gz"
    manage_ok(url, "backup_registry", str(whole))
    before = answers_of(url)
    bad = {
        "truncated.json.gz": whole.read_bytes()[: whole.stat().st_size // 2],
        "garbage.json": b'[{"garbage": ',
        "empty.json": b"[]",
        "no-units.json": json.dumps([{"model": "auth.group", "pk": 99, "fields": {}}]).encode(),
        # Reads as a backup, fails to load: the emptying before it is undone.
        "unloadable.json": json.dumps(
            [{"model": "orgunits.unit", "pk": 1, "fields": {"no_such_field": 1}}]
        ).encode(),
        **edited_backups(whole),
    }
    for name, content in bad.items():
        (folder / name).write_bytes(content)
        refused = manage(url, "restore_registry", "--force", str(folder / name))
        assert refused.returncode != 0, name
        assert "Traceback" not in refused.stderr, name
        assert "nothing was changed" in refused.stderr or "intet er ændret" in refused.stderr
    assert_same_registry(answers_of(url), before)


@pytest.mark.postgres
@pytest.mark.skipif(not on_postgres(), reason="needs the PostgreSQL server")
def test_a_dump_of_another_database_or_of_no_units_replaces_nothing(postgres_registry):
    url, folder, _original = postgres_registry
    before = answers_of(url)
    with postgres_database("sf_backup_empty") as empty:
        manage_ok(empty, "migrate", "--verbosity", "0")  # a registry without units
        manage_ok(empty, "backup_registry", "--format=postgres", str(folder / "empty.dump"))
    refused = manage(url, "restore_registry", "--force", str(folder / "empty.dump"))
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "no units" in refused.stderr or "ingen enheder" in refused.stderr
    assert_same_registry(answers_of(url), before)


def test_the_postgres_format_is_refused_on_sqlite(sqlite_registry, tmp_path: Path):
    url, _folder, _original = sqlite_registry
    result = manage(url, "backup_registry", "--format=postgres", str(tmp_path / "x.dump"))
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


@pytest.mark.parametrize("fmt", ["postgres", "portable"])
@pytest.mark.postgres
@pytest.mark.skipif(not on_postgres(), reason="needs the PostgreSQL server")
def test_a_backup_restores_the_same_registry_on_postgres(postgres_registry, fmt):
    url, folder, original = postgres_registry
    backup = folder / f"registry.{fmt}"
    manage_ok(url, "backup_registry", f"--format={fmt}", str(backup))
    with postgres_database("sf_backup_restored") as restored:
        manage_ok(restored, "restore_registry", str(backup))
        assert_same_registry(answers_of(restored), original)
        # pg_restore brings the backup's version along; the restore starts a new epoch.
        assert version_of(restored).split(".")[0] != version_of(url).split(".")[0]


@pytest.mark.postgres
@pytest.mark.skipif(not on_postgres(), reason="needs the PostgreSQL server")
def test_a_portable_backup_moves_a_registry_from_postgres_to_sqlite(postgres_registry):
    url, folder, original = postgres_registry
    backup = folder / "to-sqlite.json.gz"
    manage_ok(url, "backup_registry", "--format=portable", str(backup))
    restored = f"sqlite:///{folder / 'from-postgres.sqlite3'}"
    manage_ok(restored, "restore_registry", str(backup))
    assert_same_registry(answers_of(restored), original)
