from django.urls import path

from . import views

app_name = "export"

urlpatterns = [
    path("org.jsonld", views.org_jsonld, name="org_jsonld"),
    path("units.csv", views.units_csv, name="units_csv"),
]
