"""The real background worker (`manage.py db_worker`) beside a real web server: an archivist's
EAC-CPF import runs outside the request, and its page follows it to the end; the zip of every
record is built once per data version and then served as a file."""

import io
import os
import re
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import zipfile

import pytest

from orgunits.exports.eaccpf.schemas import V1
from tests.eaccpf.test_import_drafts import renamed
from tests.fresh_databases import manage_ok, on_postgres, postgres_database
from tests.http_browser import Browser
from tests.served import MANAGE, free_port, served_registry
from tests.tcp_proxy import Proxy

pytestmark = pytest.mark.slow

REFRESH = 'http-equiv="refresh"'


def until(check, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.3)
    raise AssertionError("the worker did not finish in time")


@pytest.fixture
def registry(tmp_path):
    with served_registry(tmp_path) as served:
        served.url = served.web_server()
        served.worker()
        served.database = tmp_path / "registry.sqlite3"
        yield served


def test_an_import_runs_in_the_worker_and_its_page_follows_it_to_the_result(registry):
    archivist = Browser()
    archivist.submit(
        f"{registry.url}/admin/login/", "login-form", username="arkivar", password=registry.password
    )
    record = urllib.request.urlopen(f"{registry.url}/units/mr-voksne/eac-cpf.xml").read()
    upload = renamed(record, V1, "mr-voksne-kopi")
    form = f"{registry.url}/admin/orgunits/unit/import-eac-cpf/"

    job_url, first = archivist.upload(
        form, "import-form", {"file": ("kopi.xml", upload)}, reason="Prøveimport"
    )
    assert re.search(r"/import-eac-cpf/\d+/$", job_url)
    assert "kopi.xml" in first

    def finished():
        page = archivist.get(job_url)
        return page if REFRESH not in page else None

    done = until(finished)
    assert "mr-voksne-kopi" in done
    assert "Færdig" in done
    drafts = archivist.get(f"{registry.url}/admin/orgunits/unit/?q=mr-voksne-kopi")
    assert "mr-voksne-kopi" in drafts


def test_the_zip_is_built_by_the_worker_once_and_then_served_as_a_file(registry):
    url = f"{registry.url}/export/eac-cpf.zip"

    def fetch():
        try:
            with urllib.request.urlopen(url) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    status, headers, body = fetch()
    assert status == 202, "the first request queues the build and shows its progress"
    assert REFRESH.encode() in body and headers["Retry-After"] == "2"

    status, headers, body = until(lambda: (r := fetch())[0] == 200 and r)
    assert headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert "mr-voksne.eac-cpf.xml" in archive.namelist()

    again = fetch()
    assert again[0] == 200 and again[2] == body
    with sqlite3.connect(registry.database) as db:
        (jobs,) = db.execute("SELECT count(*) FROM orgunits_archivejob WHERE kind='zip'").fetchone()
    assert jobs == 1, "built once for this version of the registry"


@pytest.mark.postgres
@pytest.mark.skipif(not on_postgres(), reason="a database server that goes away")
def test_the_worker_outlives_the_database_going_away_and_runs_the_job_after(tmp_path):
    """`db_worker` alone exited when the database went away, and jobs waited for ever."""
    port = free_port()
    proxy = Proxy(port)
    proxy.start()
    with postgres_database("sf_worker") as url:
        manage_ok(url, "bootstrap", "--verbosity=0")
        env = {**os.environ, "DATABASE_URL": url.replace(":5432/", f":{port}/"),
               "REGISTRY_FILES_DIR": str(tmp_path), "DJANGO_DEBUG": "true"}  # fmt: skip
        worker = subprocess.Popen(
            [*MANAGE, "run_worker", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            time.sleep(2)
            proxy.stop()  # the database goes away for a while
            time.sleep(4)
            proxy.start()
            queued = (
                "from orgunits.exports.eaccpf.jobs import zip_job; print(zip_job('http://x').pk)"
            )
            job = manage_ok(url, "shell", "-c", queued).split()[-1]
            state = (
                f"from orgunits.models import ArchiveJob; print(ArchiveJob.objects.get(pk={job}))"
            )
            state = state.replace("))", ").status)")
            until(lambda: manage_ok(url, "shell", "-c", state).split()[-1] == "done", 60)
            assert worker.poll() is None, "the worker is still running"
        finally:
            worker.terminate()
            worker.wait(timeout=10)
            proxy.stop()


def test_a_job_a_stopped_worker_left_running_is_queued_again_and_done(db, tmp_path):
    from history.loaders.eaccpf.jobs import requeue_interrupted
    from orgunits.models import ArchiveJob

    job = ArchiveJob.objects.create(kind="zip", data_version="v", status="running", base_url="x")
    assert requeue_interrupted() == 1  # here the job runs at once (tests/conftest.py)
    job.refresh_from_db()
    assert job.status == "done"


def test_a_zip_queued_before_the_tasks_moved_is_built_by_the_upgraded_worker(tmp_path):
    """The queue names a job by its task's import path: a job waiting when the EAC-CPF tasks
    moved (orgunits.eaccpf → orgunits.exports.eaccpf, history.loaders.eaccpf) runs after
    the upgrade's `migrate`, instead of failing in the worker with an import error."""
    with served_registry(tmp_path) as registry:

        def manage(*args):
            run = subprocess.run(
                [*MANAGE, *args], env=registry.env, capture_output=True, text=True, check=True
            )
            return run.stdout.split()[-1:]  # what the command printed last

        manage("migrate", "history", "0009", "--verbosity", "0")  # the registry before
        (job,) = manage(
            "shell",
            "-c",
            "from django_tasks_db.models import DBTaskResult as T;"
            "from orgunits.exports.eaccpf.jobs import zip_job; j = zip_job('http://x');"
            "T.objects.update(task_path='orgunits.eaccpf.jobs.build_zip'); print(j.pk)",
        )
        manage("migrate", "--verbosity", "0")
        registry.worker()
        status = f"from orgunits.models import ArchiveJob; print(ArchiveJob.objects.get(pk={job}))"
        status = status.replace("))", ").status)")
        until(lambda: manage("shell", "-c", status) == ["done"])
