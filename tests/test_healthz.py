import pytest


@pytest.mark.django_db
def test_healthz_answers_200_with_the_state_of_each_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "jobs": {"waiting": 0, "oldest_waiting_seconds": 0},
    }


@pytest.mark.django_db
def test_healthz_shows_jobs_waiting_for_a_worker_that_does_not_take_them(client, settings):
    import datetime

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from orgunits.exports.eaccpf.jobs import zip_job

    # The queue as production has it, with no worker running: the zip waits in it.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    zip_job("http://testserver")
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(minutes=5))
    jobs = client.get("/healthz").json()["jobs"]
    assert jobs["waiting"] == 1 and jobs["oldest_waiting_seconds"] >= 300


@pytest.mark.django_db
def test_healthz_answers_head_as_load_balancers_ask(client):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["django_tasks_database_dbtaskresult", "registry_data_version"])
def test_healthz_says_unavailable_in_json_when_the_registry_tables_are_missing(client, table):
    """A database that answers but was never migrated (or only the job queue's part of it):
    the load balancer reads a 503."""
    from django.db import connection

    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute(f"DROP TABLE {table}")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["database"] == "unavailable"
