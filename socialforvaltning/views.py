"""What every page of the site shares that belongs to no app: the language switch, and the
health of the parts for load balancers and operators."""

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Count, Min
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .version import data_version


@require_safe
def switch_language(request, code):
    """Switch the interface language with a plain link (a preference cookie, no form)."""
    if code not in dict(settings.LANGUAGES):
        raise Http404(_("The registry does not speak “%(code)s”.") % {"code": code[:10]})
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@require_safe
def healthz(request):
    """For load balancers (the status) and operators (the parts). Only the database makes
    the registry unavailable: without the cache, pages are built uncached. A database that
    answers but lacks the registry's tables (not migrated) is unavailable too."""
    parts = {"database": "ok", "cache": cache.health()}
    try:
        with transaction.atomic():  # a failed read leaves the connection usable
            data_version()  # what every page reads first: a registry not migrated has none
            parts["jobs"] = queue_state()  # a queue that only grows: no worker takes it
    except DatabaseError:
        parts["database"] = "unavailable"
    status = 200 if parts["database"] == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "unavailable", **parts}, status=status
    )


def queue_state() -> dict:
    """How many jobs wait for the background worker, and for how long the oldest has."""
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY).aggregate(
        count=Count("pk"), oldest=Min("enqueued_at")
    )
    oldest = waiting["oldest"]
    age = round((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"waiting": waiting["count"], "oldest_waiting_seconds": age}
