import json

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Prefetch, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from history.models import Change, Reorganisation
from socialforvaltning.lib.dates import InvalidDate, parse_date

from . import jsonld
from .models import Unit, UnitNode


def base_url(request) -> str:
    return settings.REGISTRY_BASE_URL or request.build_absolute_uri("/").rstrip("/")


@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def org_jsonld(request):
    try:
        date = parse_date(request.GET.get("date"))
    except InvalidDate as e:
        return JsonResponse({"error": str(e)}, status=400)
    nodes = UnitNode.objects.tree_on(date).prefetch_related("unit__identifiers")
    reorganisations = Reorganisation.objects.filter(
        Q(date__lte=date) | Q(date__isnull=True)
    ).prefetch_related(
        Prefetch("changes", queryset=Change.objects.select_related("unit", "target"))
    )
    document = jsonld.organisation_graph(
        base_url=base_url(request),
        date=date,
        nodes=nodes,
        reorganisations=reorganisations.chronological(),
    )
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=1),
        content_type="application/ld+json; charset=utf-8",
    )


@require_GET
def unit_detail(request, slug):
    unit = get_object_or_404(Unit, slug=slug)
    return render(request, "orgunits/unit_detail.html", {"unit": unit})
