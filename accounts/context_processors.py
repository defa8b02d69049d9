from django.conf import settings

from .models import Office


def site(request):
    """Site name and the offices whose contacts the footer shows (REQ OPS-3)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.office_id:
        footer_offices = [user.office]
    else:
        footer_offices = list(Office.objects.order_by("code")[:3])
    return {"footer_offices": footer_offices, "SITE_URL": settings.SITE_URL}
