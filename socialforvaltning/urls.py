from django.contrib import admin
from django.urls import include, path

from orgunits import views as orgunit_views

urlpatterns = [
    path("healthz", orgunit_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("export/", include("orgunits.export_urls")),
    path("", include("history.urls")),
    path("", include("orgunits.urls")),
]
