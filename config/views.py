"""Project-level pages that gather what several apps show (the top page)."""

from django.shortcuts import render

from core.models import Notice


def home(request):
    notices = Notice.objects.visible()[:10]
    return render(request, "home.html", {"notices": notices})
