"""Operators read one JSON line per event: an error in the API reaches the log as JSON with
its traceback, like the pages' errors."""

import io
import json
import logging

import pytest

from tests.streamed import body

pytestmark = pytest.mark.django_db


def test_an_api_error_is_logged_as_json_with_its_traceback(client, monkeypatch):
    def breaks(*args, **kwargs):
        raise RuntimeError("the structure could not be read")

    monkeypatch.setattr("orgunits.api.UnitNode.objects.tree_on", breaks)
    handler = next(h for h in logging.getLogger("registry").handlers if h.name == "console")
    lines = io.StringIO()
    previous = handler.setStream(lines)
    try:
        response = client.get("/api/v1/structure", {"date": "2011-03-01"})
    finally:
        handler.setStream(previous)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    logged = [json.loads(line) for line in lines.getvalue().splitlines()]
    errors = [entry for entry in logged if entry["level"] == "ERROR"]
    assert [entry["message"] for entry in errors] == ["API error"]  # one line, not two
    assert "the structure could not be read" in errors[0]["exception"]


def logged_while(run) -> list[dict]:
    """The JSON lines the registry logs while `run()` runs, request lines included."""
    handler = next(h for h in logging.getLogger("registry").handlers if h.name == "console")
    requests = logging.getLogger("registry.request")
    level, lines = requests.level, io.StringIO()
    previous = handler.setStream(lines)
    requests.setLevel(logging.INFO)
    try:
        run()
    finally:
        handler.setStream(previous)
        requests.setLevel(level)
    return [json.loads(line) for line in lines.getvalue().splitlines()]


def test_a_streamed_export_is_logged_once_written_with_the_bytes_sent(client):
    sent = []
    lines = logged_while(
        lambda: sent.append(body(client.get("/export/units.csv", {"date": "2011-03-01"})))
    )
    (entry,) = [e for e in lines if e.get("path") == "/export/units.csv"]
    assert entry["status"] == 200 and entry["level"] == "INFO"
    assert entry["streamed"] == "complete" and entry["bytes"] == len(sent[0]) > 1000


def test_a_stream_the_database_fails_midway_is_logged_as_an_error(client, monkeypatch):
    """The client already has its 200 and the header: the log says what it really got."""
    from django.db import OperationalError

    from orgunits import rows

    def gone(unit_ids):
        raise OperationalError("the database went away")

    monkeypatch.setattr(rows, "_identifiers", gone)
    response = client.get("/export/units.csv", {"date": "2011-03-01"})

    def read():
        with pytest.raises(OperationalError):
            body(response)

    (entry,) = [e for e in logged_while(read) if e.get("path") == "/export/units.csv"]
    assert entry["level"] == "ERROR" and entry["streamed"] == "failed: OperationalError"
    assert entry["error"] == "the database went away" and 0 < entry["bytes"] < 1000


def test_a_client_that_leaves_midway_is_logged(client):
    response = client.get("/export/org.jsonld", {"date": "2011-03-01"})

    def leave():
        next(iter(response.streaming_content))
        response.close()

    (entry,) = [e for e in logged_while(leave) if e.get("path") == "/export/org.jsonld"]
    assert entry["level"] == "WARNING" and entry["streamed"] == "closed before the end"
