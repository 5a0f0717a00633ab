from django.urls import path

from . import views

app_name = "responsibilities"

urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("<slug:slug>/", views.task_detail, name="detail"),
]
