"""Operators read one JSON line per event: an error in the API reaches the log as JSON with
its traceback, like the pages' errors."""

import io
import json
import logging

import pytest

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
