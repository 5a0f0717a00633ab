"""The exports that live at the site's root rather than under /export/: the OAI-PMH endpoint
and the vocabulary that the JSON-LD's and EAC-CPF's terms point to (/vocab#term)."""

from django.urls import path

from . import views
from .oai.views import endpoint as oai_endpoint

urlpatterns = [
    path("oai", oai_endpoint, name="oai"),
    path("vocab/", views.vocabulary_page, name="vocabulary"),
    path("vocab.jsonld", views.vocabulary_jsonld, name="vocabulary_jsonld"),
]
