from django.urls import path

from . import views

app_name = "syndication"

urlpatterns = [
    path("v1/items", views.partner_items, name="items"),
]
