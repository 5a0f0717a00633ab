"""EAC-CPF exports: one unit's authority record in either version, and every record in a zip."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from .eaccpf import export
from .eaccpf.schemas import V1, V2
from .models import Unit
from .views import base_url, unit_or_404

XML_TYPE = "application/xml; charset=utf-8"


def _record_response(request, slug: str, version: str, suffix: str) -> HttpResponse:
    unit = unit_or_404(slug)
    (record,) = export.records_for(Unit.objects.filter(pk=unit.pk))
    response = HttpResponse(
        export.to_bytes(record, version, base_url=base_url(request)), content_type=XML_TYPE
    )
    response["Content-Disposition"] = f'inline; filename="{unit.slug}.{suffix}"'
    return response


@require_GET
def unit_eac_cpf(request, slug):
    return _record_response(request, slug, V1, "eac-cpf.xml")


@require_GET
def unit_eac_cpf_2(request, slug):
    return _record_response(request, slug, V2, "eac-cpf-2.xml")


@require_GET
def eac_cpf_zip(request):
    records = export.records_for(Unit.objects.on_record().order_by("slug"))
    response = HttpResponse(
        export.zip_of(records, base_url=base_url(request)), content_type="application/zip"
    )
    response["Content-Disposition"] = 'attachment; filename="eac-cpf.zip"'
    return response
