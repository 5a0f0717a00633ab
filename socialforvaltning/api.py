"""The read API's common ground (`/api/v1/`): the NinjaAPI object the apps' routers join, who
may read, errors as `application/problem+json`, ETags from the data version, and pages.

django-ninja rather than Django REST framework: the API only reads, so DRF's serializers,
viewsets and browsable forms would be weight without use; ninja writes the OpenAPI document
from the operations' type hints and schemas, so it cannot drift from the code, and ships
Swagger UI as static files (the machines here are offline: no CDN).

Every operation reads `date=` (valid time) and `recorded=` (record time) as the pages do,
through `AsOf`, so a date means the same here as there, and a wrong one gets the same message.
"""

import datetime
import functools
import hashlib
import inspect
import logging
import math
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponseNotModified, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from .asof import AsOf
from .errors import PROBLEM, RETRY_AFTER_SECONDS, problem
from .models import IntegrationToken

log = logging.getLogger("registry.api")

PAGE_SIZE = 100
PAGE_SIZE_MAX = 500


class Problem(Schema):
    """RFC 9457: what went wrong, for a program (`status`, `title`) and a person (`detail`)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


# What every operation may answer besides its 200, for the OpenAPI document.
ERRORS = {400: Problem, 401: Problem, 404: Problem, 429: Problem, 503: Problem}


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def count_a_request(token: IntegrationToken):
    """At most `requests_per_minute` requests per token in each clock minute, counted in the
    shared cache (Redis under `make serve`, so across every web process). A cache that is
    away limits nothing: reading goes on, as the pages do."""
    now = time.time()
    key = f"api-rate:{token.pk}:{int(now // 60)}"
    try:
        cache.add(key, 0, timeout=61)
        used = cache.incr(key)
    except Exception:  # the cache is away or lost the key: the request is not counted
        return
    if used > token.requests_per_minute:
        raise RateLimited(retry_after=max(1, 60 - int(now % 60)))


class Reader(HttpBearer):
    """Who may read: anyone while the registry is public (REGISTRY_PUBLIC), otherwise a
    logged-in user (the docs page in a browser) or an integration's token."""

    openapi_description = (
        "Needed only where the registry is not public: an integration token from the admin "
        "(Integrationsnøgler), sent as `Authorization: Bearer sfr_…`."
    )

    def __call__(self, request):
        # A token that is sent is checked even where none is needed: a client with a
        # mistyped or revoked one hears so before the registry stops being public.
        sent = request.headers.get("Authorization", "")
        if settings.REGISTRY_PUBLIC and not sent.lower().startswith("bearer"):
            return "public"  # a proxy's own scheme (Basic) is not ours to judge
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            return request.user
        return super().__call__(request)

    def authenticate(self, request, token):
        found = IntegrationToken.objects.holding(token)
        if found is not None:
            count_a_request(found)
            found.record_use()
        return found


reader = Reader()


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # "Mål og Rammer", not "M\\u00e5l"


# The formats of the parameters every operation reads as the pages do (as strings, so that
# a wrong one gets the pages' message rather than the schema library's).
PARAMETER_FORMATS = {"date": "date", "recorded": "date-time", "since": "date-time"}


class RegistryAPI(NinjaAPI):
    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _as_the_site_answers(pattern.callback)
        return patterns, app_name, namespace

    def get_openapi_schema(self, *args, **kwargs):
        """Errors are documented as what they are sent as, `application/problem+json`; a
        token is needed only where the registry is not public; dates have their format."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                if operation.get("security"):
                    operation["security"].append({})  # optional: a public registry
                for parameter in operation.get("parameters", ()):
                    if parameter["name"] in PARAMETER_FORMATS:
                        parameter["schema"]["format"] = PARAMETER_FORMATS[parameter["name"]]
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM] = content.pop("application/json")
        return schema


def for_readers(view):
    """The OpenAPI document and its docs page are read as the data is: by anyone while the
    registry is public, otherwise with a token or a login."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        return refusal_of_reader(request) or view(request, *args, **kwargs)

    return guarded


api = RegistryAPI(
    title="Socialforvaltningens organisationsregister",
    version="1",
    description=(
        "The registry's answers for other systems: the structure on a date, units, "
        "reorganisations, tasks and their owners, and a feed of what changed in the record. "
        "The operations take `date` (valid time, YYYY-MM-DD; today if left out) and "
        "`recorded` (record time, YYYY-MM-DDTHH:MM; now if left out), as the pages do; the "
        "change feed, in record time, takes `since` and `after` instead. "
        "Answers carry an ETag from the registry's data version: ask again with "
        "If-None-Match to get a 304 while nothing changed. Errors are "
        "application/problem+json."
    ),
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": True}),
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=for_readers,
    auth=reader,
    renderer=Renderer(),
)


@api.exception_handler(NinjaValidationError)
def invalid_parameters(request, exc):
    details = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', '')}"
        for e in exc.errors
    )
    return problem(400, _("Bad request"), details[:1000])


@api.exception_handler(BadRequest)
def bad_request(request, exc):
    return problem(400, _("Bad request"), str(exc))


@api.exception_handler(AuthenticationError)
def not_authenticated(request, exc):
    if request.headers.get("Authorization", "").lower().startswith("bearer"):
        detail = _("The token is not valid, or it has been revoked: ask for a new one.")
    else:
        detail = _(
            "This registry is not public: send an integration token as “Authorization: Bearer”."
        )
    return problem(401, _("Not authenticated"), detail, WWW_Authenticate='Bearer realm="registry"')


@api.exception_handler(RateLimited)
def rate_limited(request, exc):
    return problem(
        429,
        _("Too many requests"),
        _("This token's requests per minute are used up; try again in %(seconds)d seconds.")
        % {"seconds": exc.retry_after},
        Retry_After=str(exc.retry_after),
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return problem(404, _("Not found"), str(exc) or _("There is nothing at this address."))


@api.exception_handler(HttpError)
def http_error(request, exc):
    if exc.status_code == 503:
        return problem(503, _("Service unavailable"), str(exc), Retry_After="5")
    return problem(exc.status_code, _("Error"), str(exc))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_away(request, exc):
    log.error("database unavailable", exc_info=exc)
    return logged(
        problem(
            503,
            _("Service unavailable"),
            _("The registry's database does not answer; try again shortly."),
            Retry_After=str(RETRY_AFTER_SECONDS),
        )
    )


@api.exception_handler(Exception)
def server_error(request, exc):
    log.error("API error", exc_info=exc)
    return logged(
        problem(500, _("Server error"), _("The registry failed to answer; it is logged."))
    )


def logged(response):
    """One error line a request, as for the pages: this one, with the traceback, and not
    Django's of the answer's status too."""
    response._has_been_logged = True
    return response


def _as_the_site_answers(view):
    """HEAD answered wherever GET is (HeadMiddleware then drops the body), as on every page;
    another method is a 405 in the API's error form, naming what is allowed."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return problem(
                405,
                _("Method not allowed"),
                _("The API only reads: ask with %(methods)s.") % {"methods": "GET, HEAD"},
                Allow="GET, HEAD",
            )
        if any("\x00" in str(value) for value in kwargs.values()):
            # No record has a null character in its key (PostgreSQL would refuse the query).
            return problem(404, _("Not found"), _("There is nothing at this address."))
        try:
            request.GET  # noqa: B018 - read once: more than Django accepts is a 400 here
        except SuspiciousOperation:
            return problem(
                400,
                _("Bad request"),
                _("The address has more parameters than the registry reads (%(count)s).")
                % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS},
            )
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        try:
            response = view(request, *args, **kwargs)
        finally:
            if head:
                request.method = "HEAD"
        return response

    return answer


def versioned(view, *, position=None):
    """ETag and conditional GET from the registry's data version (as the pages have): while
    nothing is edited the answer to an address stays the same, so a client that has it gets
    a 304 without it being built. Checked only once the reader is allowed in.

    An answer that is a position in a sequence (the change feed) is tagged by the version and
    `position(request)` instead of the address, and may name, as `request.answer_position`,
    the position its ETag stands for (where the client asks next), or None where it must not
    be revalidated at all (writes not yet settled)."""
    from socialforvaltning.version import data_version

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        version = data_version()
        etag = _etag(request, version, position)
        sent = request.headers.get("If-None-Match", "")
        if etag in [t.strip().removeprefix("W/") for t in sent.split(",")] and _allowed(request):
            return _revalidated(HttpResponseNotModified(), etag)
        response = view(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        if position is not None:
            at = getattr(request, "answer_position", position(request))
            if at is None:
                response["Cache-Control"] = "no-store"
                return response
            etag = _position_tag(version, at)
        return _revalidated(response, etag)

    return answer


def _etag(request, version: str, position) -> str:
    """The ETag of the answer asked for: of its address, or of its position in a sequence."""
    from .middleware import ConditionalGetMiddleware

    if position is not None:
        return _position_tag(version, position(request))
    origin = ConditionalGetMiddleware.origin(request)
    return ConditionalGetMiddleware.etag(version, request, origin)


def _position_tag(version: str, at: str) -> str:
    return '"' + hashlib.sha256(f"{version}|{at}".encode()).hexdigest()[:32] + '"'


def _revalidated(response, etag: str):
    """`response` with its ETag, to be revalidated (If-None-Match) before it is reused."""
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache" if settings.REGISTRY_PUBLIC else "private, no-cache"
    response["Vary"] = "Authorization, Cookie"
    return response


def read(router, path: str, schema, *, name: str, summary: str, position=None, hints=None):
    """A read operation on `router`: documented with its answer and the errors every
    operation may give, refusing a query parameter it does not read (`hints`: what to say of
    one that other operations read), and answered with an ETag from the data version
    (`versioned`)."""
    from ninja.decorators import decorate_view

    def declare(view):
        reads = set(inspect.signature(view).parameters) - {"request"}
        refusing = functools.partial(refusing_others, reads=reads, hints=hints or {})
        etagged = functools.partial(versioned, position=position)
        route = router.get(path, response={200: schema, **ERRORS}, url_name=name, summary=summary)
        return route(decorate_view(refusing, etagged)(view))

    return declare


def refusing_others(view, *, reads: set, hints: dict):
    """A parameter the operation does not read is a 400 that says which it reads, rather
    than an answer that looks as if it had been read."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        others = sorted(set(request.GET) - reads)
        if not others:
            return view(request, *args, **kwargs)
        names = ", ".join(f"{name}=" for name in others)
        hint = next((hints[name] for name in others if name in hints), None)
        detail = (
            hint % {"names": names}
            if hint
            else _("This operation does not read %(names)s; it reads %(reads)s.")
            % {"names": names, "reads": ", ".join(f"{name}=" for name in sorted(reads))}
        )
        return problem(400, _("Bad request"), detail)

    return answer


def _allowed(request) -> bool:
    try:
        return bool(reader(request))
    except RateLimited:
        return False  # the view answers 429


# Parameters every operation shares, documented once.
DATE = Query(
    None,
    description="Valid time: the organisation on this date (YYYY-MM-DD); today if left out.",
    example="2011-03-01",
)
RECORDED = Query(
    None,
    description=(
        "Record time: as the registry recorded it at this moment (YYYY-MM-DDTHH:MM[:SS], the "
        "registry's time zone); what it says now if left out."
    ),
)
PAGE = Query(1, ge=1, le=1_000_000, description="Page number, from 1.")
SIZE = Query(PAGE_SIZE, ge=1, le=PAGE_SIZE_MAX, description="Items per page.")


class AsOfOut(Schema):
    date: str
    recorded: str | None


def as_of_out(when: AsOf) -> dict:
    return {
        "date": when.date.isoformat(),
        # In UTC: a local time of the 1800s has an offset of seconds, which RFC 3339 lacks.
        "recorded": (
            when.recorded.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if when.recorded
            else None
        ),
    }


def page_links(request, page: int, page_size: int, count: int) -> dict:
    """count, pages and the absolute addresses of the next and previous pages (the same query
    with another page number); a page past the last is a 404, not an empty page."""
    pages = max(1, math.ceil(count / page_size))
    if page > pages:
        raise Http404(
            _("There are %(pages)d pages of %(size)d; page %(page)d is past the last.")
            % {"pages": pages, "size": page_size, "page": page}
        )

    def link(number):
        query = request.GET.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{urlencode(query, doseq=True)}")

    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": pages,
        "next": link(page + 1) if page < pages else None,
        "previous": link(page - 1) if page > 1 else None,
    }


class PageOut(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    next: str | None
    previous: str | None


def address_not_found(request, rest=""):
    """An address under /api/ that no operation has: a 404 in the API's form (Django's own
    would be an HTML page)."""
    return problem(
        404,
        _("Not found"),
        _("The API has no operation at this address; the operations are in %(document)s.")
        % {"document": "/api/v1/openapi.json"},
    )


def refusal_of_reader(request) -> JsonResponse | None:
    """Read access outside the API's operations (OAI-PMH, and the pages and exports of a
    registry that is not public), as the API has it: None where the reader may read, else
    the 401 or 429 to answer with."""
    try:
        if reader(request):
            return None
    except RateLimited as limited:
        return rate_limited(request, limited)
    return not_authenticated(request, None)
