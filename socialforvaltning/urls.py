from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from history import api as history_api
from orgunits import api as orgunit_api
from orgunits import oai as oai_views
from orgunits import views as orgunit_views
from responsibilities import api as responsibility_api
from socialforvaltning.api import address_not_found, api

# The read API: each app's operations under /api/v1/ (socialforvaltning/api.py).
api.add_router("/", orgunit_api.router)
api.add_router("/", history_api.router)
api.add_router("/", responsibility_api.router)

urlpatterns = [
    path("healthz", orgunit_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's).
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg")),
    path("language/<str:code>/", orgunit_views.switch_language, name="language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", address_not_found),
    path("oai", oai_views.endpoint, name="oai"),
    path("export/", include("orgunits.export_urls")),
    # The IRIs of the registry's own terms are <base>/vocab#term: /vocab redirects here.
    path("vocab/", orgunit_views.vocabulary_page, name="vocabulary"),
    path("vocab.jsonld", orgunit_views.vocabulary_jsonld, name="vocabulary_jsonld"),
    path("tasks/", include("responsibilities.urls")),
    path("", include("history.urls")),
    path("", include("orgunits.urls")),
]

handler400 = "socialforvaltning.errors.bad_request"
handler403 = "socialforvaltning.errors.permission_denied"
handler404 = "socialforvaltning.errors.page_not_found"
handler500 = "socialforvaltning.errors.server_error"
