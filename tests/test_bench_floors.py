"""The benchmark's floors for the exports (bench/floors.py) write what the exports write: the
same rows and about the same bytes, so that an export's time over its floor's measures the
export's overhead, not a different amount of work. A column or item added to an export that
its floor does not follow fails here."""

import csv
import datetime
import io
import json

import pytest

from bench.floors import csv_floor, jsonld_floor
from tests.conftest import LARGE_ON

DATES = [datetime.date(2011, 3, 1), LARGE_ON]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
@pytest.mark.parametrize("date", DATES)
def test_the_csv_floor_writes_the_rows_and_bytes_of_the_csv_export(client, date):
    exported = body(client.get("/export/units.csv", {"date": date.isoformat()}))
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))

    floor = csv_floor(date)

    assert floor["rows"] == len(rows) - 1 > 20
    assert abs(floor["bytes"] - len(exported)) < len(exported) * 0.02


@pytest.mark.django_db
@pytest.mark.parametrize("date", DATES)
def test_the_jsonld_floor_writes_the_graph_and_bytes_of_the_jsonld_export(client, date):
    exported = body(client.get("/export/org.jsonld", {"date": date.isoformat()}))
    graph = json.loads(exported)["@graph"]

    floor = jsonld_floor(date)

    assert floor["rows"] == len(graph) > 20
    assert abs(floor["bytes"] - len(exported)) < len(exported) * 0.02
