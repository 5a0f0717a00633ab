"""Arbitrary query strings, path segments and headers against every public URL never give a
server error; a malformed date is a 400 that says what is wrong."""

import datetime
import re
from urllib.parse import quote

import pytest
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from history.models import Reorganisation
from orgunits.models import Kind, TargetGroup
from responsibilities.models import Category, Task

from .conftest import examples

pytestmark = pytest.mark.django_db

UNIT = "mr-voksne"  # a seed unit with names, placements, tasks and changes

# Every public page and export with the parameters it reads; REORG and TASK are filled in
# from the seed registry.
PAGES = {
    "/": ["date", "recorded", "root", "depth"],
    "/units/": ["q", "kind", "target_group", "date", "page"],
    f"/units/{UNIT}/": ["date", "recorded"],
    f"/units/{UNIT}/eac-cpf.xml": [],
    f"/units/{UNIT}/eac-cpf-2.xml": [],
    "/changes/REORG/": ["page"],
    "/compare/": ["from", "to"],
    "/tasks/": ["q", "category", "date", "format", "page"],
    "/tasks/TASK/": [],
    "/export/units.csv": ["date"],
    "/export/org.jsonld": ["date", "recorded"],
    "/healthz": [],
    "/language/en/": ["next"],
    "/language/da/": ["next"],
}

# The pages with a path segment of their own, for arbitrary segments.
SEGMENT_PATTERNS = [
    "/units/{}/",
    "/units/{}/eac-cpf.xml",
    "/units/{}/eac-cpf-2.xml",
    "/changes/{}/",
    "/tasks/{}/",
    "/language/{}/",
]

any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)  # NUL included
nearly_dates = st.one_of(
    st.dates().map(datetime.date.isoformat),  # years 1–9999, in range or not
    st.datetimes().map(datetime.datetime.isoformat),
    st.builds(
        "{}T{:02}:{:02}{}".format,
        st.dates().map(datetime.date.isoformat),
        st.integers(0, 30),
        st.integers(0, 70),
        st.sampled_from(["", "Z", "+14:00", "-12:00", "+24:00", "+00:00:30"]),
    ),
    st.from_regex(r"\A-?[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}\Z"),
    st.from_regex(r"\A\s*[0-9]{4}-[0-9]{2}-[0-9]{2}.{0,3}\Z"),
)
numbers = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=3),  # ², ١٢, Ⅻ
    st.sampled_from(["0", "-1", "1e9", "9" * 400, "NaN", "0x10", " 3 "]),
)
known = st.sampled_from(
    [UNIT, "syn-root", "syn-1", "json", "csv", "kontor", "center", "voksne", "owner", "/", "//x"]
)
hostile = st.one_of(any_text, nearly_dates, numbers, known)

# What each parameter takes when it is right: most parameters of a query are right, so
# that the parameters a page reads after a wrong one are reached too.
in_range_dates = st.one_of(
    st.dates(datetime.date(2007, 1, 1), datetime.date(2012, 12, 31)),
    st.sampled_from([datetime.date(1800, 1, 1), datetime.date(2100, 6, 1)]),
).map(datetime.date.isoformat)
VALID = {
    "date": in_range_dates,
    "from": in_range_dates,
    "to": in_range_dates,
    "recorded": st.one_of(
        in_range_dates,
        st.datetimes(datetime.datetime(2000, 1, 1), datetime.datetime(2200, 1, 1)).map(
            lambda moment: moment.isoformat(timespec="minutes")
        ),
    ),
    "root": st.sampled_from(
        ["socialforvaltningen", "center-for-maal-og-rammer", UNIT, "syn-root", "syn-7"]
    ),
    "depth": st.integers(1, 12).map(str),
    "q": st.sampled_from(["budget", "LUS", "tilsyn", "syn", "æøå", "%", "_", "'", "\\", "a b"]),
    "page": st.sampled_from(["1", "2", "last"]),
    "kind": st.sampled_from(Kind.values),
    "target_group": st.sampled_from(TargetGroup.values),
    "category": st.sampled_from(Category.values),
    "format": st.sampled_from(["json", "csv", ""]),
    "next": st.sampled_from(["/", "/units/", "//evil.example/", "javascript:alert(1)", "/\\x"]),
}


def query_for(page: str):
    """A query string for `page`: each of its parameters absent, right or wrong, then a few
    more pairs, of its parameters or any, whose keys may repeat."""
    own = PAGES[page]
    reads = st.fixed_dictionaries(
        {}, optional={name: st.one_of(VALID[name], VALID[name], hostile) for name in own}
    )
    extra = st.lists(st.tuples(st.one_of(st.sampled_from([*VALID]), any_text), hostile), max_size=3)
    return st.builds(lambda pairs, more: [*pairs.items(), *more], reads, extra)


raw_query = st.one_of(
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),  # as WSGI hands it over
    st.lists(
        st.tuples(st.sampled_from([*VALID]), st.text("%0123456789abcdefABCDEFxz&=+;", max_size=12)),
        max_size=4,
    ).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)),
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "If-None-Match": st.one_of(any_text, st.just("*")),
        "Accept-Language": any_text,
        "Cookie": st.builds("django_language={}".format, st.sampled_from(["en", "da", "xx", ""])),
    },
)


@pytest.fixture
def pages(db):
    reorganisation = Reorganisation.objects.get(key="r2011-03-01")
    task = Task.objects.exclude(slug__startswith="syn-").order_by("slug").first()
    return {
        page: page.replace("REORG", str(reorganisation.pk)).replace("TASK", task.slug)
        for page in PAGES
    }


def answered(client, path: str, **kwargs):
    """Request `path`: an exception in a view fails the test with its traceback, and any
    other server error (a 503 from a view) with the request."""
    response = client.get(path, **kwargs)
    assert response.status_code < 500, f"{path} {kwargs}: {response.status_code}"


@pytest.mark.parametrize("page", PAGES)
@examples(15)
@given(data=st.data(), headers=headers)
def test_no_query_string_gives_a_server_error(client, pages, page, data, headers):
    answered(client, pages[page], data=data.draw(query_for(page), label="query"), headers=headers)


@pytest.mark.parametrize("page", PAGES)
@examples(8)
@given(raw=raw_query)
def test_no_raw_query_string_gives_a_server_error(client, pages, page, raw):
    answered(client, pages[page], QUERY_STRING=raw)


@pytest.mark.parametrize("pattern", SEGMENT_PATTERNS)
@examples(15)
@given(
    segment=st.one_of(any_text, numbers, known),
    safe=st.sampled_from(["", "/", "/:@!$&'()*+,;=~"]),
)
def test_no_path_segment_gives_a_server_error(client, pattern, segment, safe):
    answered(client, pattern.format(quote(segment, safe=safe)))


@pytest.mark.parametrize("path", ["/changes/", "/export/eac-cpf.zip"])
def test_the_pages_of_the_whole_registry_answer_whatever_the_query(client, path):
    """The timeline and the zip read no parameters and draw every unit (seconds each with the
    generated organisation), so they get one hostile query, not a fuzzer."""
    answered(client, path, QUERY_STRING="date=x&date=9999-99-99&recorded=%00&%ff%fe=%c3%28&%")


# A malformed date is a clear 400 ------------------------------------------------------------

DATE_PAGES = {
    "/": "date",
    f"/units/{UNIT}/": "date",
    "/units/": "date",
    "/export/units.csv": "date",
    "/export/org.jsonld": "date",
    "/tasks/": "date",
    "/compare/": "from",
}
DATE_MESSAGES = ("is not a date", "lies outside the years the registry covers")
MOMENT_MESSAGES = (*DATE_MESSAGES, "is not a moment")


def is_a_date_in_range(value: str) -> bool:
    """What the registry accepts as a date: YYYY-MM-DD in the calendar, 1800–2200."""
    value = value.strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        return 1800 <= datetime.date.fromisoformat(value).year <= 2200
    except ValueError:
        return False


@pytest.fixture
def english(client, settings):
    """A visitor who chose English, so that the messages can be read in their msgid."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    yield client
    translation.deactivate()  # later tests expect the default language again


@pytest.mark.parametrize("path", DATE_PAGES)
@examples(10)
@given(value=st.one_of(nearly_dates, any_text, numbers))
def test_a_malformed_date_is_a_400_that_says_what_is_wrong(english, path, value):
    assume(value.strip() and not is_a_date_in_range(value))
    params = {DATE_PAGES[path]: value}
    if path == "/compare/":
        params["to"] = "2011-03-01"
    response = english.get(path, params)
    assert response.status_code == 400, f"{path} {params}: {response.status_code}"
    body = response.content.decode()
    assert any(message in body for message in DATE_MESSAGES), body[:500]


@pytest.mark.parametrize("path", ["/", f"/units/{UNIT}/", "/export/org.jsonld"])
@examples(10)
@given(value=st.one_of(nearly_dates, any_text, numbers))
def test_a_malformed_recorded_moment_is_a_400_that_says_what_is_wrong(english, path, value):
    value = value.strip()
    assume(value)
    try:
        moment = datetime.datetime.fromisoformat(value)
        assume(not 1800 <= moment.year <= 2200)
    except ValueError:
        pass
    if len(value) == 10:
        assume(not is_a_date_in_range(value))
    response = english.get(path, {"date": "2011-03-01", "recorded": value})
    assert response.status_code == 400, f"{path} recorded={value!r}: {response.status_code}"
    body = response.content.decode()
    assert any(message in body for message in MOMENT_MESSAGES), body[:500]


# Found by fuzzing ----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", ["²", "١", "Ⅻ"])
def test_a_depth_written_in_other_digits_is_a_400_not_a_server_error(english, depth):
    response = english.get("/", {"depth": depth})
    assert response.status_code == 400
    assert "The depth must be a whole number from 1 to 12." in response.content.decode()


def test_a_null_character_in_the_chart_root_is_a_400_not_a_server_error(english):
    """PostgreSQL refuses a NUL in a query; the chart says what is wrong instead."""
    response = english.get("/", {"root": "mr-voksne\x00"})
    assert response.status_code == 400
    assert "The parameter “root” contains a null character." in response.content.decode()
