from django.conf import settings

from tongpin.core import roles


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "tongpin_site_name": settings.TONGPIN_SITE_NAME,
        "nav_can_audit": roles.can(user, roles.AUDIT_VIEW) if user else False,
        "nav_can_stories": roles.can(user, roles.STORY_VIEW) if user else False,
        "nav_can_roles": bool(user and (roles.can(user, roles.ROLE_ASSIGN) or roles.can(user, roles.USER_MANAGE))),
        "nav_can_maintain": roles.can(user, roles.SEARCH_REINDEX) if user else False,
        "nav_can_create": roles.can(user, roles.STORY_CREATE) if user else False,
        "nav_can_review": roles.can(user, roles.REVIEW_ACT) if user else False,
        "nav_can_deliveries": roles.can(user, roles.DELIVERY_VIEW) if user else False,
        "nav_can_alerts": roles.can(user, roles.ALERT_VIEW) if user else False,
        "nav_can_plan": roles.can(user, roles.PLAN_VIEW) if user else False,
        "nav_can_live": roles.can(user, roles.LIVE_VIEW) if user else False,
        "nav_can_metrics": roles.can(user, roles.METRICS_VIEW) if user else False,
        "nav_can_status": roles.can(user, roles.SYSTEM_STATUS) if user else False,
        "nav_can_partners": roles.can(user, roles.PARTNER_VIEW) if user else False,
        "nav_is_liaison": getattr(user, "role", "") == roles.Role.PARTNER_LIAISON,
        # Liaisons sign off where a workflow names them (a partner sign-off step).
        "nav_review_queue": bool(
            user and (roles.can(user, roles.REVIEW_ACT) or getattr(user, "role", "") == roles.Role.PARTNER_LIAISON)
        ),
        "nav_unread": user.notifications.filter(read_at=None).count() if user and user.is_authenticated else 0,
    }
