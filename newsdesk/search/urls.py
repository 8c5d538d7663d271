"""The reader search: the one dynamic reader page besides the submission form."""

from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("", views.search_results, name="results"),
]
