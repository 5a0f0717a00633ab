"""When PostgreSQL goes away, visitors get the cached pages, and for the rest a 503 that says
to come back (with Retry-After; JSON for JSON clients), never a 500. The database is the real
server behind a TCP proxy that the test cuts and restores, as a network or a restart would."""

import pytest

from tests.fresh_databases import manage, manage_ok, on_postgres, postgres_database
from tests.served import free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not on_postgres(), reason="a database server that goes away"),
]

VISITS = """
import io, json, sys
from django.conf import settings
from tests.tcp_proxy import Proxy
from django.core.handlers.wsgi import WSGIHandler

settings.DEBUG = False  # as in production: Django's own error pages are not shown


proxy = Proxy(PROXY_PORT)
proxy.start()
app = WSGIHandler()


def visit(path, query="", accept="text/html"):
    status, headers = [], []
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": accept, "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    body = b"".join(app(environ, lambda s, h, e=None: (status.append(s), headers.extend(h))))
    return {"status": status[0], "headers": dict(headers), "body": body.decode()}


out = {"before": visit("/", "date=2009-01-01")}
proxy.stop()
out["cached"] = visit("/", "date=2009-01-01")
out["uncached"] = visit("/units/", "date=2009-01-01")
out["view"] = visit("/units/", "date=2009-01-01&utm_source=x")  # not cached: the view runs
out["json"] = visit("/tasks/", "q=tilsyn&format=json")
out["health"] = visit("/healthz")
proxy.start()
out["after"] = visit("/units/", "date=2009-01-01")
print("RESULT " + json.dumps(out))
"""


def test_with_the_database_away_cached_pages_are_served_and_the_rest_answer_503():
    import json

    port = free_port()
    with postgres_database("sf_outage") as url:
        manage_ok(url, "bootstrap", "--verbosity=0")
        proxied = url.replace(":5432/", f":{port}/")
        result = manage(proxied, "shell", "--command", VISITS.replace("PROXY_PORT", str(port)))
    assert result.returncode == 0, result.stderr[-4000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    out = json.loads(line.removeprefix("RESULT "))

    assert out["before"]["status"] == "200 OK"
    assert out["cached"]["status"] == "200 OK"
    assert out["cached"]["body"] == out["before"]["body"]
    for visit in ("uncached", "view"):
        assert out[visit]["status"].startswith("503"), out[visit]
        assert out[visit]["headers"]["Retry-After"] == "30"
        assert "Registret er kortvarigt utilgængeligt" in out[visit]["body"]
    assert out["json"]["status"].startswith("503")
    assert out["json"]["headers"]["Content-Type"] == "application/problem+json"
    assert json.loads(out["json"]["body"])["status"] == 503
    assert out["health"]["status"].startswith("503")
    assert json.loads(out["health"]["body"])["database"] == "unavailable"
    assert out["after"]["status"] == "200 OK"
