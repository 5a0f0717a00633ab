from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import HttpResponse, HttpResponseNotModified, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


def readable_query(request) -> QueryDict:
    """The request's query, or an empty one where Django refuses to read it (more than
    DATA_UPLOAD_MAX_NUMBER_FIELDS parameters): an error page must not fail the same way."""
    try:
        return request.GET
    except SuspiciousOperation:
        return QueryDict()


LINKED_DATA = "application/ld+json"


def wants_linked_data(request) -> bool:
    """Whether the client prefers JSON-LD to HTML (the Accept header, with its q-values): the
    one test the unit page answers by and its cache entry is keyed by."""
    if LINKED_DATA not in request.headers.get("Accept", "").lower():
        return False
    return request.get_preferred_type(["text/html", LINKED_DATA]) == LINKED_DATA


def machine_readable(request) -> bool:
    """Whether the request asks for a form meant for programs (an export, a drawing, an
    authority record, JSON-LD or JSON), not a page for people."""
    return (
        request.path.startswith("/export/")
        or request.path.endswith((".csv", ".jsonld", ".json", ".xml", ".svg", ".pdf", ".zip"))
        or wants_linked_data(request)
        or readable_query(request).get("format") == "json"
    )


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith("/api/")
        or request.path.endswith((".json", ".jsonld"))
        or readable_query(request).get("format") == "json"
        or ("json" in accept and "html" not in accept)
    )


# What a person reads for the parameters the registry's pages take.
PARAMETER_LABELS = {
    "date": _("Date"),
    "recorded": _("As recorded on (optional)"),
    "from": _("From"),
    "to": _("To"),
    "q": _("Search"),
    "kind": _("Kind"),
    "target_group": _("Target group"),
    "root": _("Branch"),
    "depth": _("Levels"),
    "page": _("Page"),
}


class BadRequestMiddleware:
    """Bad input is a 400 that says what was wrong, in the user's language, whether or not
    debug is on: views raise BadRequest (or InvalidDate) with a message a person can act on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, BadRequest):
            return None
        message = str(exception)
        if wants_json(request):
            from .errors import problem

            # `error` too: what the task lookup's JSON said before problems had a form.
            return problem(400, _("Bad request"), message, body={"error": message})
        param = getattr(exception, "param", "")
        query = readable_query(request)
        context = {"exception": message, "param": param if param in query else ""}
        if request.method == "GET" and query:
            # The address's fields again, the wrong one beside its message: the visitor
            # corrects it without retyping the rest (a null character, which no form can
            # hold, left out).
            context["fields"] = [
                (name, value[:200].replace("\x00", ""), PARAMETER_LABELS.get(name, name))
                for name, value in list(query.items())[:20]
            ]
        return render(request, "400.html", context, status=400)


def chosen_language(request) -> str:
    """Danish unless the user chose another language with the switch (a cookie)."""
    from django.conf import settings

    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Danish unless the user chose another language with the switch (a cookie).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: the
    registry is the administration's Danish record, and English is a choice, not a guess."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation

        language = chosen_language(request)
        request.LANGUAGE_CODE = language
        # Only for this request: the thread goes back to its language afterwards.
        with translation.override(language):
            response = self.get_response(request)
            if getattr(response, "is_rendered", True) is False:
                response.render()  # a TemplateResponse (the admin's) renders in this language
        response.headers.setdefault("Content-Language", language)
        return response


def reads_parameters(*names: str):
    """Declare the query parameters a page reads. ConditionalGetMiddleware caches a page only
    if it declares them, and only for an address with no others: `?cachebust=N`, or a
    parameter another page reads, is answered but makes no cache entry."""

    def declare(view):
        view.page_parameters = frozenset(names)
        return view

    return declare


def cacheable_address(request) -> bool:
    from django.urls import Resolver404, resolve

    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    allowed = getattr(match.func, "page_parameters", None)
    return allowed is not None and allowed.issuperset(request.GET)


class ConditionalGetMiddleware:
    """ETag and conditional GET for the registry's pages and exports.

    A page as of a past date changes only when the registry is edited, so its ETag is the
    registry's data version with the language and the address; a client that has the page
    gets a 304 without the page being built. The rendered body is also cached under the
    same key, so the first client after an edit pays for building it, and no other.

    It sits right after WhiteNoise, so that a cached page skips the rest of the stack (a
    third of a cached page's cost). Only visitors without a session are served from the
    cache: a logged-in user always has a session cookie, and may see more than the public.
    A registry that is not public (REGISTRY_PUBLIC=false) is not cached at all."""

    SKIPPED_PREFIXES = ("/admin/", "/healthz", "/i18n/", "/language/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response
        self.last_version = None

    @staticmethod
    def origin(request) -> str:
        """Part of every key: the exports write absolute addresses from the Host (unless
        REGISTRY_BASE_URL says where the registry lives), so a page cached for one host and
        port is not another's. get_host() also refuses a Host that is not allowed."""
        from django.conf import settings

        return settings.REGISTRY_BASE_URL or f"{request.scheme}://{request.get_host()}"

    @staticmethod
    def etag(version: str, request, origin: str, today=None) -> str:
        import datetime
        import hashlib

        # Today's date too: a page without ?date= shows today, and must not be yesterday's.
        today = (today or datetime.date.today()).isoformat()
        # A page asked for as JSON-LD (content negotiation) is another answer at the address.
        media = "ld" if wants_linked_data(request) else ""
        key = "|".join(
            (version, today, chosen_language(request), origin, media, request.get_full_path())
        )
        return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'

    def __call__(self, request):
        from django.conf import settings
        from django.core.cache import cache
        from django.db import InterfaceError, OperationalError
        from django.utils import translation
        from django.utils.cache import patch_vary_headers

        from socialforvaltning.version import data_version

        from .errors import database_unavailable

        if (
            request.method not in ("GET", "HEAD")
            or request.path.startswith(self.SKIPPED_PREFIXES)
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or not settings.REGISTRY_PUBLIC
            or not cacheable_address(request)
        ):
            return self.get_response(request)
        origin = self.origin(request)
        try:
            version = self.last_version = data_version()
        except (OperationalError, InterfaceError):
            # The database is away: no edit can be made meanwhile, so the version last read
            # still names the current pages, and those in the cache can still be served.
            version = self.last_version
            if version is None or cache.get(f"page:{self.etag(version, request, origin)}") is None:
                with translation.override(chosen_language(request)):
                    return database_unavailable(request)
        etag = self.etag(version, request, origin)
        # A client may send the tag back as weak (W/), or ask for any version it has (*).
        sent = {
            t.strip().removeprefix("W/")
            for t in request.headers.get("If-None-Match", "").split(",")
        }
        if etag in sent:
            response = HttpResponseNotModified()
        else:
            response = cache.get(f"page:{etag}")
            if not isinstance(response, HttpResponse):  # a miss, or not what this stored
                response = self.get_response(request)
                if response.status_code != 200 or response.cookies:
                    return response  # "*" too: there is no version to have (a 400, a 202)
                response["ETag"] = etag
                response["Cache-Control"] = "no-cache"  # always revalidate: edits show at once
                patch_vary_headers(response, ["Cookie", "Accept"])
                if not response.streaming:  # a streamed export is never held whole
                    cache.set(f"page:{etag}", response, timeout=3600)
                if "*" not in sent:
                    return response
                # Not sent: left unread, not closed (closing a response signals the end of
                # the request, which closes the database connection this one still uses).
            if "*" in sent:  # any version the client has: there is one, this
                response = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = "no-cache"
        patch_vary_headers(response, ["Cookie", "Accept"])
        return response


class NoCycleCollectionDuringRequestMiddleware:
    """Python's cycle collector stays off while a request is handled, and back on after it.

    A large page or export holds hundreds of thousands of model instances at once; each full
    collection walks all of them, and the collector runs more often the more there are. At
    10,000 units it took a fifth to a third of the largest pages' time (SQLite, measured
    without and with this middleware: the comparison 2.3 s against 1.9 s, the JSON-LD export
    2.0 s against 1.4 s, the EAC-CPF zip 16 s against 14 s), with the same peak memory:
    those objects are alive until the response is built either way. Memory is still freed by
    reference counting as the request goes; the few cycles it leaves are collected after it,
    when the collector is back on and little is alive. The collector is the process's, so a
    threaded server gets less of the gain, never a wrong answer: `make serve` runs sync
    workers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import gc

        if not gc.isenabled():  # someone else turned it off, and will turn it back on
            return self.get_response(request)
        gc.disable()
        try:
            return self.get_response(request)
        finally:
            gc.enable()


class HeadMiddleware:
    """A HEAD answer has the headers of the GET and no body. Django leaves removing the body
    to the server: runserver does, gunicorn logs a warning for each one (load balancers ask
    with HEAD every few seconds) before dropping it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method != "HEAD":
            return response
        if response.streaming:
            response.close()  # a file being served is closed, not read
            response.streaming_content = []
        else:
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        return response


class RequestLogMiddleware:
    """A structured log line per request: method, path, status, duration."""

    def __init__(self, get_response):
        import logging

        self.get_response = get_response
        self.log = logging.getLogger("registry.request")

    def __call__(self, request):
        import time

        start = time.perf_counter()
        response = self.get_response(request)
        fields = {
            "method": request.method,
            "path": request.path,
            "query": request.META.get("QUERY_STRING", ""),
            "status": response.status_code,
        }
        # A stream is logged once written: it can still fail or be dropped. (A file keeps its
        # own stream, which the server may send by sendfile.)
        if response.streaming and not getattr(response, "file_to_stream", None):
            response.streaming_content = self._logged(response.streaming_content, fields, start)
            return response
        fields["ms"] = round((time.perf_counter() - start) * 1000, 1)
        self.log.info("request", extra={"fields": fields})
        return response

    def _logged(self, content, fields: dict, start: float):
        """`content` as it is sent, then the request's line with what was sent: an error
        while writing (the database went away) is logged as such, with the bytes the client
        got, and so is a client that left before the end."""
        import logging
        import time

        sent, level, outcome = 0, logging.INFO, "complete"
        try:
            for piece in content:
                sent += len(piece)
                yield piece
        except GeneratorExit:
            level, outcome = logging.WARNING, "closed before the end"
            raise
        except Exception as error:
            level, outcome = logging.ERROR, f"failed: {type(error).__name__}"
            fields["error"] = str(error)[:500]
            raise
        finally:
            fields.update(
                ms=round((time.perf_counter() - start) * 1000, 1),
                streamed=outcome,
                bytes=sent,
            )
            self.log.log(level, "request", extra={"fields": fields})


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy the pages satisfy: no inline script, no outside sources.
    Django's admin keeps a few inline style attributes, so only it may use them."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; object-src 'none'"
    )
    ADMIN_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = self.ADMIN_POLICY if request.path.startswith("/admin/") else self.POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


class LoginRequiredMiddleware:
    """With REGISTRY_PUBLIC=false, every page needs a logged-in user, or (to read, as the API
    does) an integration token: the exports, the JSON-LD of a unit and the drawn chart are
    what other systems read."""

    # The API and OAI-PMH answer for themselves: a token, or a 401 a program can read.
    OPEN = ("/admin/", "/healthz", "/static/", "/language/", "/api/", "/oai")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.contrib.auth.views import redirect_to_login

        if (
            not settings.REGISTRY_PUBLIC
            and not request.user.is_authenticated
            and not request.path.startswith(self.OPEN)
        ):
            if not request.headers.get("Authorization", "").lower().startswith("bearer"):
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            from .api import refusal_of_reader

            refused = refusal_of_reader(request)
            if refused is not None:
                return refused
            if request.method not in ("GET", "HEAD") or not machine_readable(request):
                raise PermissionDenied  # a token reads what programs read, nothing else
        return self.get_response(request)
