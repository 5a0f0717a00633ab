from django.urls import path

from . import views

app_name = "orgunits"

urlpatterns = [
    path("", views.chart, name="chart"),
    path("units/", views.unit_list, name="list"),
    path("units/<slug:slug>/", views.unit_detail, name="detail"),
]
