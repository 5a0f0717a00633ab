from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from socialforvaltning import views
from socialforvaltning.api import address_not_found, api

# The root URLconf names the apps' modules as strings, as include() does, so that
# socialforvaltning imports no app (README, "Architecture"). The read API: each app's
# operations under /api/v1/ (socialforvaltning/api.py).
api.add_router("/", "orgunits.api.router")
api.add_router("/", "history.api.router")
api.add_router("/", "responsibilities.api.router")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's).
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg")),
    path("language/<str:code>/", views.switch_language, name="language"),
    # The EAC-CPF import writes through the writer, so history mounts it (before the admin,
    # whose unit pages would take the address for a unit's).
    path("admin/orgunits/unit/import-eac-cpf/", include("history.loaders.eaccpf.admin_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", address_not_found),
    path("export/", include("orgunits.exports.urls")),
    # OAI-PMH, and the vocabulary the registry's terms point to (<base>/vocab#term).
    path("", include("orgunits.exports.site_urls")),
    path("tasks/", include("responsibilities.urls")),
    path("", include("history.urls")),
    path("", include("orgunits.urls")),
]

handler400 = "socialforvaltning.errors.bad_request"
handler403 = "socialforvaltning.errors.permission_denied"
handler404 = "socialforvaltning.errors.page_not_found"
handler500 = "socialforvaltning.errors.server_error"
