from django.urls import path, re_path

from . import views

app_name = "consultations"

WHO = r"(?P<who>any|\d{1,12})"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/join/", views.join, name="join"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/move/", views.move, name="move"),
    re_path(
        r"^(?P<pk>\d+)/move/(?P<year>\d{4})/(?P<month>\d{1,2})/$",
        views.move_month,
        name="move_month",
    ),
    re_path(r"^(?P<pk>\d+)/move/(?P<day>[0-9-]{10})/$", views.move_day, name="move_day"),
    path("send/", views.send, name="send"),
    re_path(rf"^{WHO}/(?P<year>\d{{4}})/(?P<month>\d{{1,2}})/$", views.month, name="month"),
    re_path(rf"^{WHO}/(?P<day>[0-9-]{{10}})/$", views.day, name="day"),
    re_path(
        rf"^{WHO}/(?P<day>[0-9-]{{10}})/(?P<hhmm>\d{{4}})/request/$",
        views.request_slot,
        name="request",
    ),
]
