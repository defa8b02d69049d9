from django.urls import path

from . import views

app_name = "terms"

urlpatterns = [
    path("", views.index, name="index"),
    path("accept/<str:service>/", views.reconsent, name="reconsent"),
    path("<slug:office_code>/<str:service>/", views.current, name="current"),
    path("<slug:office_code>/<str:service>/versions/", views.versions, name="versions"),
    path("<slug:office_code>/<str:service>/v<int:number>/", views.version, name="version"),
    path("<slug:office_code>/<str:service>/compare/", views.compare, name="compare"),
]
