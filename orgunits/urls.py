from django.urls import path, re_path

from . import views
from .exports import views as exports

app_name = "orgunits"

urlpatterns = [
    path("", views.chart, name="chart"),
    re_path(r"^chart\.(?P<form>svg|pdf)$", views.chart_drawing, name="chart_drawing"),
    path("units/", views.unit_list, name="list"),
    path("units/<slug:slug>/", views.unit_detail, name="detail"),
    path("units/<slug:slug>/eac-cpf.xml", exports.unit_eac_cpf, name="eac_cpf"),
    path("units/<slug:slug>/eac-cpf-2.xml", exports.unit_eac_cpf_2, name="eac_cpf_2"),
]
