from django.urls import path

from . import views

app_name = "orgunits"

urlpatterns = [
    path("units/<slug:slug>/", views.unit_detail, name="detail"),
]
