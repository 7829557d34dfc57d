from django.conf import settings

from tongpin.core import roles


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "tongpin_site_name": settings.TONGPIN_SITE_NAME,
        "nav_can_audit": roles.can(user, roles.AUDIT_VIEW) if user else False,
        "nav_can_create": roles.can(user, roles.STORY_CREATE) if user else False,
    }
