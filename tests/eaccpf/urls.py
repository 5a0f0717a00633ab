"""The project's URLs plus the EAC-CPF import page, which the lead wires into the admin."""

from django.urls import path

from history.loaders.eaccpf.admin_views import import_eaccpf
from socialforvaltning.urls import urlpatterns as project

urlpatterns = [path("test-admin/eac-cpf-import/", import_eaccpf), *project]
