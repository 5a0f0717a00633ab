"""GET /export/eac-cpf.zip, and a registry rebuilt from it.

The round trip runs for real: the zip from the test registry is imported with
`manage.py import_eaccpf` into a fresh, empty SQLite registry in a subprocess, which is then
exported again. The two exports must say the same about every unit; only the maintenance
history differs, because the rebuilt registry's records were made by the import (that history
is checked on its own).

The test registry also holds a generated organisation of 1,000 units (tests/conftest.py), a
tree of its own that no seed record mentions; the round trip rebuilds the seed's records only,
to keep the test fast.
"""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from lxml import etree

from orgunits.exports.eaccpf import collect, jobs, schemas
from orgunits.models import Unit

from .conftest import BASE, SEED_SLUGS

pytestmark = pytest.mark.django_db

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
REASON = "Genopbygget fra EAC-CPF"
# The units, their names, identifiers and citations, their placements (three queries: their
# own, those below them, the cross-cutting units anchored there), the reorganisations, the
# changes, four tables of edit history and the passages disputing a reorganisation (two),
# whatever the number of units. (A batch that mentions units outside it reads their names
# and addresses too: two more.)
QUERIES_OF_THE_ZIP = 15
TRANSACTIONS = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}  # the job's, not reads
# The zip is built by the background worker; here its job runs at once, in the request.
AT_ONCE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EXPORT = (
    "import os; from django.test import Client, override_settings; "
    f"override_settings(TASKS={AT_ONCE!r}, MEDIA_ROOT=os.environ['EAC_CPF_FILES']).enable(); "
    "open(os.environ['EAC_CPF_OUT'], 'wb').write(Client().get('/export/eac-cpf.zip').getvalue())"
)


class Exported:
    def __init__(self, response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.content = response.getvalue()

    def __getitem__(self, header):
        return self.headers[header]


@pytest.fixture(scope="module")
def exported(django_db_setup, django_db_blocker, tmp_path_factory):
    """The zip of the test registry, fetched once (it holds over 2,000 records), and the
    number of queries that read the registry for it (the job's own rows aside)."""
    from orgunits.models import ArchiveJob

    files = tmp_path_factory.mktemp("files")
    with override_settings(TASKS=AT_ONCE, MEDIA_ROOT=files), django_db_blocker.unblock():
        with CaptureQueriesContext(connection) as queries:
            response = Exported(Client().get("/export/eac-cpf.zip"))
        if "ETag" in response.headers:  # asked again by a client that has this version
            again = Client().get("/export/eac-cpf.zip", headers={"If-None-Match": response["ETag"]})
            response.revalidated = again.status_code
        ArchiveJob.objects.all().delete()  # the module's writes outlive it: leave none
    registry_reads = [
        q
        for q in queries
        if "archivejob" not in q["sql"].lower()
        and "django_tasks" not in q["sql"].lower()
        and q["sql"].split()[0].upper() not in TRANSACTIONS
    ]
    return response, len(registry_reads)


@pytest.fixture(scope="module")
def fresh_registry(tmp_path_factory):
    """An empty, migrated SQLite registry and a way to run manage.py against it."""
    folder = tmp_path_factory.mktemp("fresh")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'fresh.sqlite3'}"}

    def manage(*args, **extra_env):
        return subprocess.run(
            [sys.executable, MANAGE, *args],
            env={**env, **extra_env},
            capture_output=True,
            text=True,
        )

    migrated = manage("migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    manage.folder = folder
    return manage


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def without_maintenance_events(content: bytes) -> bytes:
    root = etree.fromstring(content)
    for history in root.iter("{*}maintenanceHistory"):
        for event in list(history):
            history.remove(event)
    return etree.tostring(root, method="c14n")


def test_the_zip_holds_every_unit_in_both_versions(exported):
    response, _queries = exported
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="eac-cpf.zip"' in response["Content-Disposition"]
    slugs = Unit.objects.values_list("slug", flat=True)
    expected = {f"{s}.eac-cpf.xml" for s in slugs} | {f"{s}.eac-cpf-2.xml" for s in slugs}
    assert set(members(response.content)) == expected
    assert len(expected) > 2_000


def test_a_client_that_has_the_zip_of_this_data_version_gets_a_304(exported):
    response, _ = exported
    assert response["ETag"]
    assert response.revalidated == 304


def test_every_record_in_the_zip_is_valid_eac_cpf(exported):
    response, _queries = exported
    invalid = {}
    for name, content in members(response.content).items():
        version = schemas.V2 if name.endswith(".eac-cpf-2.xml") else schemas.V1
        errors = schemas.validate(etree.fromstring(content), version)
        if errors:
            invalid[name] = errors[:3]
    assert invalid == {}


def test_the_zip_reads_the_registry_in_a_fixed_number_of_queries(exported):
    _response, queries = exported
    assert queries <= QUERIES_OF_THE_ZIP + 1  # and the data version, which names the zip


def test_the_zip_of_every_unit_reads_the_registry_in_as_many_queries_as_the_seeds_records():
    """The worker's build of the zip (the 1,000 generated units and the seed's) against the
    records of the seed's 34 units alone: the queries do not grow with the units."""
    seed = Unit.objects.filter(slug__in=SEED_SLUGS)
    collect.records_for(seed)  # the content types are read once a process: not counted
    with CaptureQueriesContext(connection) as of_the_seed:
        assert len(collect.records_for(seed)) == len(SEED_SLUGS)
    with CaptureQueriesContext(connection) as of_the_zip:
        assert jobs.write_zip(io.BytesIO(), base_url=BASE) > 1_000
    assert len(of_the_zip) == len(of_the_seed) == QUERIES_OF_THE_ZIP


@pytest.mark.slow
def test_the_command_exits_with_1_on_an_invalid_file_and_imports_nothing(fresh_registry):
    broken = fresh_registry.folder / "broken.xml"
    broken.write_text("<eac-cpf xmlns='urn:isbn:1-931666-33-4'><control>", encoding="utf-8")

    run = fresh_registry("import_eaccpf", str(broken), LANGUAGE="en")

    assert run.returncode == 1
    assert "broken.xml, linje 1" in run.stderr
    count = fresh_registry(
        "shell", "-c", "from orgunits.models import Unit; print(Unit.objects.count())"
    )
    assert count.stdout.strip().splitlines()[-1] == "0"


@pytest.mark.slow
def test_a_registry_rebuilt_from_its_export_exports_the_same_records(exported, fresh_registry):
    response, _queries = exported
    first = {
        name: content
        for name, content in members(response.content).items()
        if not name.startswith("syn-")
    }
    assert not any(b"/units/syn-" in content for content in first.values())
    seed_zip = fresh_registry.folder / "seed.zip"
    with zipfile.ZipFile(seed_zip, "w") as archive:
        for name, content in first.items():
            archive.writestr(name, content)

    imported = fresh_registry("import_eaccpf", str(seed_zip), "--reason", REASON)
    assert imported.returncode == 0, imported.stderr
    out = fresh_registry.folder / "again.zip"
    again = fresh_registry(
        "shell", "-c", EXPORT, EAC_CPF_OUT=str(out), EAC_CPF_FILES=str(out.parent / "files")
    )
    assert again.returncode == 0, again.stderr
    second = members(out.read_bytes())

    assert set(second) == set(first)
    differing = [
        name
        for name in sorted(first)
        if without_maintenance_events(first[name]) != without_maintenance_events(second[name])
    ]
    if differing:  # show the first difference
        import difflib

        a = without_maintenance_events(first[differing[0]]).decode().split("><")
        b = without_maintenance_events(second[differing[0]]).decode().split("><")
        print("\n".join(list(difflib.unified_diff(a, b, lineterm=""))[:40]))
    assert differing == []
    # What the rebuilt registry's history says instead: the import, with its reason.
    for name, content in second.items():
        root = etree.fromstring(content)
        descriptions = {e.text for e in root.iter("{*}eventDescription")}
        assert descriptions == {REASON}, name
