from django.urls import path

from . import alert_views

app_name = "bookings"

urlpatterns = [
    path("new/<str:service>/", alert_views.alert_new, name="alert_new"),
    path("<int:pk>/cancel/", alert_views.alert_cancel, name="alert_cancel"),
]
