from django.urls import path

from . import views

app_name = "booths"

urlpatterns = [
    path("", views.index, name="index"),
    path("now/", views.adhoc, name="adhoc"),
    path("reservations/<int:pk>/", views.reservation, name="reservation"),
    path("reservations/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("send/", views.send, name="send"),
    path("<int:booth_id>/<int:year>/<int:month>/", views.month, name="month"),
    path("<int:booth_id>/<str:day>/", views.day, name="day"),
    path("<int:booth_id>/<str:day>/<str:hhmm>/request/", views.request_slot, name="request"),
]
