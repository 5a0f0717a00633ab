"""A persistent database connection that dies (the server restarted, an administrator ended
it) costs no visitor an error: the data version, every public request's first query, is also
the connection's health check (a cached page makes one round trip, not two), and asks again
on a new connection (PostgreSQL only)."""

import pytest

from tests.fresh_databases import manage, manage_ok, on_postgres, postgres_database

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not on_postgres(), reason="persistent connections are PostgreSQL's"),
]

# Requests through Django's WSGI handler, as gunicorn makes them: the handler's signals keep
# the connection between requests (CONN_MAX_AGE) and reset its health check for each one.
VISITS = """
import io, sys
import psycopg
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

app = WSGIHandler()

def visit(path, query=""):
    status = []
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
    }
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0], body

checks = []
is_usable = connection.is_usable
connection.is_usable = lambda: checks.append(1) or is_usable()

first = visit("/", "date=2009-01-01")
again = visit("/", "date=2009-01-01")
print("CHECKS_ON_A_CACHED_VISIT", len(checks))
pid = connection.connection.info.backend_pid
with psycopg.connect(sys.argv[-1], autocommit=True) as other:
    other.execute("SELECT pg_terminate_backend(%s)", [pid])
cached = visit("/", "date=2009-01-01")
built = visit("/units/", "date=2009-01-01")
print("STATUS", first[0], again[0], cached[0], built[0])
print("SAME_PAGE", cached[1] == first[1])
print("NEW_CONNECTION", connection.connection.info.backend_pid != pid)
"""


def test_the_first_visitor_after_the_connection_died_gets_the_page():
    with postgres_database("sf_restart") as url:
        manage_ok(url, "migrate", "--verbosity=0")
        result = manage(url, "shell", "--command", VISITS.replace("sys.argv[-1]", repr(url)))
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout
    assert "STATUS 200 OK 200 OK 200 OK 200 OK" in out, out + result.stderr[-4000:]
    # The version query was the health check: no `SELECT 1` before it.
    assert "CHECKS_ON_A_CACHED_VISIT 0" in out
    assert "SAME_PAGE True" in out
    assert "NEW_CONNECTION True" in out
