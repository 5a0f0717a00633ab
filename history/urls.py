from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("changes/", views.timeline, name="timeline"),
    path("changes/<int:pk>/", views.reorganisation_detail, name="detail"),
    path("compare/", views.compare, name="compare"),
]
