"""A URLconf for tests/bench/test_db_unavailable.py: views that fail as a dead database does."""

from django.db import InterfaceError, OperationalError
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def _operational(request):
    raise OperationalError("connection failed: server closed the connection unexpectedly")


def _interface(request):
    try:
        raise ConnectionResetError("reset")
    except ConnectionResetError as error:
        raise InterfaceError("connection already closed") from error


def _bug(request):
    raise ValueError("a plain bug")


urlpatterns = [
    path("operational/", _operational),
    path("interface/", _interface),
    path("bug/", _bug),
    *project_urlpatterns,  # the middleware reverses project URLs
]

handler500 = "core.middleware_db.server_error"
