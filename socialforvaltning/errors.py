"""The registry's own error pages, in the visitor's language, each saying what to do next:
not found, refused by the CSRF check, locked out after failed logins, the database away, and
the unexpected error. JSON clients get JSON (`application/problem+json`)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .middleware import wants_json

RETRY_AFTER_SECONDS = 30
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, *, body=None, **headers) -> JsonResponse:
    """An error for a program (RFC 9457): `status` and `title` for it, `detail` for a person,
    `body` for more members. `Retry_After="30"` becomes the header Retry-After."""
    response = JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **(body or {})},
        status=status,
        content_type=PROBLEM,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error_response(request, status: int, title: str, detail: str, template: str, **headers):
    if wants_json(request):
        return problem(status, title, detail, **headers)
    context = {"title": title, "detail": detail, "status": status}
    response = render(request, template, context, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def database_unavailable(request):
    return error_response(
        request,
        503,
        _("The registry is briefly unavailable"),
        _("Its database does not answer just now. Nothing has been lost; try again in a minute."),
        "error.html",
        Retry_After=str(RETRY_AFTER_SECONDS),
    )


def bad_request(request, exception):
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent

    if isinstance(exception, RequestDataTooBig):
        detail = _(
            "The form was larger than the registry accepts (%(mb)s MB, files aside), so "
            "nothing was saved. Go back: your browser still holds what you wrote. Shorten the "
            "longest text, or send the changes in two parts."
        ) % {"mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20}
    elif isinstance(exception, TooManyFieldsSent):
        detail = _(
            "The form had more fields than the registry accepts (%(count)s), so nothing was "
            "saved. Go back: your browser still holds what you wrote. Send the changes in two "
            "parts."
        ) % {"count": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    else:
        detail = _("The request could not be understood. Go back and try again.")
    return error_response(
        request, 400, _("The request could not be answered"), detail, "error.html"
    )


def page_not_found(request, exception):
    # A view's own message says what was not found (a unit, a date); the resolver's says
    # nothing a visitor can use.
    message = exception.args[0] if isinstance(exception, Http404) and exception.args else ""
    detail = (
        message
        if isinstance(message, str) and message
        else _("The registry has no page at this address.")
    )
    return error_response(request, 404, _("Not found"), detail, "error.html")


def permission_denied(request, exception):
    return error_response(
        request,
        403,
        _("Not allowed"),
        _(
            "Your account may not do this. Ask an administrator of the registry if it should; "
            "the pages of the registry are open to you as before."
        ),
        "error.html",
    )


def server_error(request):
    error = sys.exc_info()[1]  # Django calls this while handling the exception
    if isinstance(error, OperationalError | InterfaceError):
        return database_unavailable(request)
    return error_response(
        request,
        500,
        _("The registry ran into an error"),
        _("The error has been logged. Try again shortly; if it persists, tell the archivists."),
        "500.html",
    )


def csrf_failure(request, reason=""):
    return error_response(
        request,
        403,
        _("The form had expired"),
        _(
            "For your safety the registry only accepts a form it has just shown you. Go back, "
            "reload the page and send the form again; if you are logged out, log in first."
        ),
        "error.html",
    )


def locked_out(request, original_response=None, credentials=None):
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return error_response(
        request,
        429,
        _("Too many failed logins"),
        _(
            "After several failed attempts, logging in with this user name from here is paused "
            "for %(minutes)d minutes. Wait, then try again; an administrator can lift the "
            "pause sooner."
        )
        % {"minutes": minutes},
        "error.html",
        Retry_After=str(minutes * 60),
    )
