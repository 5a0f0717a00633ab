"""The archivists' import of an EAC-CPF record (or a zip of records) from the admin: the
upload is queued for the background worker, and its page shows the progress and the result.

Mounted by admin_urls.py at /admin/orgunits/unit/import-eac-cpf/; the views check the
permission to add units themselves, so they are safe wherever they are mounted.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from history.services import REASON_MAX_LENGTH
from orgunits.models import ArchiveJob, Unit

from .jobs import start_import
from .read import MAX_FILE_BYTES

# A zip of every record of a large registry (both versions) is a few megabytes.
MAX_UPLOAD_BYTES = 5 * MAX_FILE_BYTES


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("EAC-CPF file"),
        max_length=80,  # shown on the job's page and kept in its history
        help_text=gettext_lazy(
            "An EAC-CPF record (EAC-CPF 2010 or 2.0), or a zip of records such as the "
            "registry's own export."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the import"),
        max_length=REASON_MAX_LENGTH,
        help_text=gettext_lazy("Kept in the history of every imported record beside your name."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(mb)s MB).")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


@staff_member_required
@permission_required("orgunits.add_unit", raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
def import_eaccpf(request, site=admin.site):
    """The upload form; a valid upload is queued for the background worker, and the
    archivist is sent to the job's page. `site`: the admin site whose navigation the page
    shows (pass it in the URL's kwargs)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = start_import(
            upload=form.cleaned_data["file"], user=request.user, reason=form.cleaned_data["reason"]
        )
        return redirect("import_eaccpf_job", job_id=job.pk)
    context = {
        **site.each_context(request),
        "title": _("Import EAC-CPF records"),
        "form": form,
        "jobs": ArchiveJob.objects.filter(kind=ArchiveJob.Kind.IMPORT)[:10],
    }
    return render(request, "admin/orgunits/eaccpf_import.html", context)


@staff_member_required
@permission_required("orgunits.add_unit", raise_exception=True)
@require_safe
def import_job(request, job_id, site=admin.site):
    """An import's progress (the page refreshes itself until it is done), then its result or
    what stopped it."""
    job = get_object_or_404(ArchiveJob, pk=job_id, kind=ArchiveJob.Kind.IMPORT)
    context = {
        **site.each_context(request),
        "title": _("Import of %(file)s") % {"file": job.name},
        "job": job,
        "imported": Unit.objects.filter(slug__in=job.units).order_by("slug"),
    }
    return render(request, "admin/orgunits/archive_job.html", context)
