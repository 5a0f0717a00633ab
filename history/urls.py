from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("<int:pk>/", views.reorganisation_detail, name="detail"),
]
