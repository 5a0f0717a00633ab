"""The archivists' import of an EAC-CPF record (or a zip of records) from the admin.

The lead wires `import_eaccpf` into the admin site, e.g. in `UnitAdmin.get_urls()`:
`path("import-eac-cpf/", self.admin_site.admin_view(import_eaccpf), {"site": self.admin_site})`.
The view checks the permission to add units itself, so it is safe wherever it is mounted.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .importer import MAX_FILE_BYTES, REASON_MAX_LENGTH, ImportFailed, import_files

# A zip of every record of a large registry (both versions) is a few megabytes.
MAX_UPLOAD_BYTES = 5 * MAX_FILE_BYTES


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("EAC-CPF file"),
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
@require_http_methods(["GET", "POST"])
def import_eaccpf(request, site=admin.site):
    """`site`: the admin site whose navigation the page shows (pass it in the URL's kwargs)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_files(
                [(upload.name, upload.read())],
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ImportFailed as e:
            errors = e.messages
        else:
            messages.success(
                request,
                _("Imported %(count)s units as drafts: %(units)s.")
                % {"count": len(result.units), "units": ", ".join(result.units)},
            )
            for message in result.messages:
                messages.info(request, message)
            return redirect(request.path)
    context = {
        **site.each_context(request),
        "title": _("Import EAC-CPF records"),
        "form": form,
        "errors": errors,
    }
    return render(
        request, "admin/orgunits/eaccpf_import.html", context, status=400 if errors else 200
    )
