"""The change feed never answers past a write that has stamped its rows but not committed:
on PostgreSQL it waits for the writes holding the data version's lock, and says so when they
take too long."""

import threading

import pytest
from django.db import connection, connections, transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_feed_waits_for_a_write_in_progress_and_answers_503_when_it_takes_too_long(
    client, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("a writer holding the lock while the feed reads needs PostgreSQL")
    monkeypatch.setattr("history.api.WAIT_FOR_WRITERS", "300ms")
    holding, release = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE registry_data_version SET counter = counter + 1 WHERE id = 1"
                )
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        busy = client.get("/api/v1/changes")
        assert busy.status_code == 503 and busy["Retry-After"]
        assert busy["Content-Type"] == "application/problem+json"
    finally:
        release.set()
        thread.join()
    assert client.get("/api/v1/changes").status_code == 200
