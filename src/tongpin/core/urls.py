from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("audit/export/", views.audit_export, name="audit-export"),
    path("audit/verify/", views.audit_verify, name="audit-verify"),
    path("accounts/roles/", views.account_roles, name="account-roles"),
    path("notifications/", views.notifications, name="notifications"),
]
