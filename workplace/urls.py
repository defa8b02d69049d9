from django.urls import path

from . import views

app_name = "workplace"

urlpatterns = [
    path("reservations/", views.my_reservations, name="my_reservations"),
]
