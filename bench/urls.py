"""The project's URLs plus the same-bytes floor (config.settings.bench only)."""

from django.urls import path

from config.urls import *  # noqa: F403
from config.urls import urlpatterns as project_urlpatterns

from . import views

urlpatterns = [
    path("bench/floor/<int:booth_id>/<int:year>/<int:month>/", views.floor, name="bench_floor"),
    path("bench/floor-anonymous/", views.floor_anonymous, name="bench_floor_anonymous"),
    *project_urlpatterns,
]

# A 503 page while the database is unreachable (proposed for config/urls.py as well).
handler500 = "core.middleware_db.server_error"
