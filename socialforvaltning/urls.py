from django.contrib import admin
from django.urls import include, path

from orgunits import views as orgunit_views

urlpatterns = [
    path("healthz", orgunit_views.healthz, name="healthz"),
    path("language/<str:code>/", orgunit_views.switch_language, name="language"),
    path("admin/", admin.site.urls),
    path("export/", include("orgunits.export_urls")),
    path("tasks/", include("responsibilities.urls")),
    path("", include("history.urls")),
    path("", include("orgunits.urls")),
]
