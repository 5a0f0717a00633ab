from django.urls import path

from . import views

app_name = "export"

urlpatterns = [
    path("org.jsonld", views.org_jsonld, name="org_jsonld"),
    path("units.csv", views.units_csv, name="units_csv"),
    path("eac-cpf.zip", views.eac_cpf_zip, name="eac_cpf_zip"),
]
