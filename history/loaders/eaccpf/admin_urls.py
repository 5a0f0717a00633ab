"""The archivists' EAC-CPF import, at its address beside the units' admin. The import writes
through the writer, so it is mounted from the root URLconf rather than by the units' admin."""

from django.contrib import admin
from django.urls import path

from .admin_views import import_eaccpf, import_job

urlpatterns = [
    path("", admin.site.admin_view(import_eaccpf), {"site": admin.site}, name="import_eaccpf"),
    path(
        "<int:job_id>/",
        admin.site.admin_view(import_job),
        {"site": admin.site},
        name="import_eaccpf_job",
    ),
]
