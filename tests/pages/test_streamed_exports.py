"""The CSV and JSON-LD exports are written as they are read: the download starts before the
tree is read, the whole body is never held, and the queries are a fixed number per batch of
rows, whatever the size of the registry."""

import csv
import datetime
import io
import json
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgunits import rows
from orgunits.exports import csv as csv_export
from orgunits.exports import jsonld
from orgunits.models import UnitNode
from tests.conftest import LARGE_ON
from tests.streamed import body

pytestmark = pytest.mark.django_db

EXPORTS = {"csv": "/export/units.csv", "json-ld": "/export/org.jsonld"}


@pytest.mark.parametrize("export", EXPORTS)
def test_an_export_starts_before_the_tree_is_read(client, export):
    response = client.get(EXPORTS[export], {"date": "2011-03-01"})
    assert response.status_code == 200 and response.streaming
    pieces = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as queries:
        first = next(pieces)
    # The header, or the JSON-LD's @context, goes out before any query.
    assert len(queries) == 0
    if export == "csv":
        assert first.decode("utf-8").startswith("\ufeffsti,navn,kortnavn,")
    else:
        assert first.decode("utf-8").startswith('{\n "@context": {')
    rest = b"".join(pieces)
    assert b"mr-voksne" in rest


@pytest.mark.parametrize("export", EXPORTS)
def test_a_head_of_an_export_answers_its_headers_without_building_it(client, export):
    get = client.get(EXPORTS[export], {"date": LARGE_ON.isoformat()})
    with CaptureQueriesContext(connection) as queries:
        head = client.head(EXPORTS[export], {"date": LARGE_ON.isoformat()})
        assert b"".join(head.streaming_content) == b""
    assert head.status_code == 200 and "Content-Length" not in head
    assert head["Content-Type"] == get["Content-Type"] and head["ETag"] == get["ETag"]
    assert len(queries) <= 3  # the data version and the session: no rows read


def test_a_head_of_the_json_ld_as_recorded_reads_no_history(client):
    """Read from history, the structure as recorded costs seconds at 100,000 units: it is
    read when the body is written, so a HEAD reads nothing."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"date": "2011-03-01", "recorded": now}
    get = client.get(EXPORTS["json-ld"], params)
    assert b"mr-voksne" in body(get)
    with CaptureQueriesContext(connection) as queries:
        head = client.head(EXPORTS["json-ld"], params)
    assert head.status_code == 200 and len(queries) <= 3


@pytest.mark.parametrize("sent", ["W/{etag}", "*", '"other", {etag}'])
def test_an_export_the_client_has_is_not_modified_however_it_names_it(client, sent):
    etag = client.get(EXPORTS["csv"], {"date": "2011-03-01"})["ETag"]
    again = client.get(
        EXPORTS["csv"], {"date": "2011-03-01"}, HTTP_IF_NONE_MATCH=sent.format(etag=etag)
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "address, status",
    [("/tasks/?q=budget&page=999", 404), ("/tasks/?q=budget&page=0", 400)],
    ids=["past-the-last-page", "bad-page"],
)
def test_any_version_asked_for_with_a_star_is_no_304_where_there_is_none(client, address, status):
    assert client.get(address, HTTP_IF_NONE_MATCH="*").status_code == status


def test_a_star_for_an_export_leaves_the_database_connection_to_the_next_request(client):
    # The export built to learn there is a version, and not sent, must not end the request
    # early: that closed the connection, and the next request answered 503 (PostgreSQL).
    assert client.get(EXPORTS["csv"], HTTP_IF_NONE_MATCH="*").status_code == 304
    assert client.get("/units/mr-voksne/").status_code == 200


def test_the_csv_export_has_a_row_for_every_unit_of_the_large_registry(client):
    text = body(client.get(EXPORTS["csv"], {"date": LARGE_ON.isoformat()})).decode("utf-8-sig")
    slugs = [row[-1] for row in list(csv.reader(io.StringIO(text)))[1:]]
    expected = UnitNode.objects.valid_on(LARGE_ON).values_list("unit__slug", flat=True)
    assert len(slugs) == len(set(slugs)) == len(expected) >= 1_000
    assert set(slugs) == set(expected)


def test_the_streamed_json_ld_is_the_json_of_the_same_document():
    """Written item by item, the bytes are those json.dumps gives the whole document."""
    document = {"@context": {"a": 1, "b": {"c": [1, 2]}}, "@graph": [{"x": "æ\nø"}, {"y": []}]}
    streamed = "".join(jsonld.chunks({**document, "@graph": iter(document["@graph"])}, size=8))
    assert streamed == json.dumps(document, ensure_ascii=False, indent=1)
    empty = {"@context": {"a": 1}, "@graph": []}
    assert "".join(jsonld.chunks({**empty, "@graph": iter([])})) == json.dumps(empty, indent=1)


def test_an_item_s_streamed_arrays_are_written_as_json_dumps_writes_the_lists():
    """An event's units are written as they are read (`jsonld.Streamed`), in the bytes
    json.dumps gives the same item with its arrays as lists."""
    item = {"a": [1, {"b": "æ\nø"}], "c": ["x", {"d": [2, 3]}, []], "e": [], "f": {"g": 1}}
    document = {"@context": {"a": 1}, "@graph": [{"x": 1}, item, item]}

    def streamed() -> dict:
        lists = {key: jsonld.Streamed(iter(item[key])) for key in ("a", "c", "e")}
        return {**item, **lists}

    for size in (1, 8, 1024):
        graph = iter([{"x": 1}, streamed(), streamed()])
        written = "".join(jsonld.chunks({**document, "@graph": graph}, size=size))
        assert written == json.dumps(document, ensure_ascii=False, indent=1)


def test_an_event_naming_a_thousand_units_is_written_as_its_units_are_read(client, monkeypatch):
    """A registry's founding reorganisation names nearly all its units (90,000 of 100,000):
    its units are written a piece at a time as they are read, never held all at once."""
    monkeypatch.setattr(jsonld, "PIECE", 4 * 1024)
    made = []  # the units whose IRIs the export has made, in order
    unit_iri = jsonld.unit_iri

    def counted(base_url: str, slug: str) -> str:
        made.append(slug)
        return unit_iri(base_url, slug)

    monkeypatch.setattr(jsonld, "unit_iri", counted)
    response = client.get(EXPORTS["json-ld"], {"date": LARGE_ON.isoformat()})
    made_when_written = []  # after each piece of the synthetic organisation's event
    for piece in response.streaming_content:
        if made_when_written or b"Syntetisk organisation (test)" in piece:
            made_when_written.append(len(made))
    # The event comes last; its 1,000 units take some 40 kB, ten pieces.
    assert len(made_when_written) >= 8
    first, last = made_when_written[0], made_when_written[-1]
    assert last - first > 800  # most of its units were read after its first piece went out
    assert made_when_written == sorted(set(made_when_written))  # and some for every piece


@pytest.mark.parametrize("export", EXPORTS)
def test_an_export_costs_a_fixed_number_of_queries_per_batch_of_rows(client, export, monkeypatch):
    def queries(batch: int) -> int:
        monkeypatch.setattr(rows, "BATCH", batch)
        with CaptureQueriesContext(connection) as captured:
            body(client.get(EXPORTS[export], {"date": LARGE_ON.isoformat()}))
        return len(captured)

    batches = -(-UnitNode.objects.valid_on(LARGE_ON).count() // 100)
    whole, in_batches = queries(10_000), queries(100)
    # The tree and the reorganisations' datings once; each batch its units' identifiers,
    # and the placements of those that ever moved: the seed's, all in the first batch (the
    # synthetic units never moved).
    assert in_batches - whole == batches - 1 > 5
    assert whole == {"csv": 6, "json-ld": 9}[export]


@pytest.mark.parametrize("export", EXPORTS)
def test_an_export_of_a_large_registry_never_holds_its_whole_body(client, export, monkeypatch):
    """Memory is that of a batch of rows and a piece of the body: read in small batches and
    pieces, what the export holds grows by far less than the body it has written, through
    the JSON-LD's change events too (the synthetic organisation's names 1,000 units)."""
    monkeypatch.setattr(rows, "BATCH", 50)
    monkeypatch.setattr(csv_export, "PIECE", 4 * 1024)
    monkeypatch.setattr(jsonld, "PIECE", 4 * 1024)
    response = client.get(EXPORTS[export], {"date": LARGE_ON.isoformat()})
    written, held = [], []  # after each piece: the bytes written, the memory in use
    tracemalloc.start()
    try:
        for piece in response.streaming_content:
            written.append((written[-1] if written else 0) + len(piece))
            held.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        response.close()
    quarter = next(i for i, size in enumerate(written) if size > written[-1] / 4)
    body_grew = written[-1] - written[quarter]
    assert body_grew > 100_000
    # Less than the body it wrote meanwhile: holding it (its rows, or an event's units, as
    # objects) costs more than its bytes (753 KB for 414 KB when the events were held). A
    # once-only allocation of a few hundred KB in the database driver has come within half.
    assert max(held[quarter:]) - held[quarter] < body_grew
