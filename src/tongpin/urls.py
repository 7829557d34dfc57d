from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

from tongpin.api import api
from tongpin.web import account, metrics, portal
from tongpin.web import views as web_views

urlpatterns = [
    path("", web_views.dashboard, name="dashboard"),
    path("login/", web_views.TongpinLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("login/verify/", account.verify, name="login-verify"),
    path("login/two-factor/", account.enrol, name="login-enrol"),
    path("login/two-factor/qr.svg", account.setup_qr, name="two-factor-qr"),
    path("login/password/", account.expired_password, name="login-password"),
    path("account/", account.account, name="account"),
    path("account/password/", account.change_password, name="account-password"),
    path("account/two-factor/", account.setup_two_factor, name="account-two-factor"),
    path("account/two-factor/codes/", account.new_recovery_codes, name="account-recovery-codes"),
    path("account/two-factor/remove/", account.remove_two_factor, name="account-two-factor-remove"),
    path("favicon.ico", web_views.favicon, name="favicon"),
    path("healthz", web_views.healthz, name="healthz"),
    path("readyz", web_views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("status/", web_views.system_status, name="system-status"),
    path("status/check/", web_views.system_check, name="system-check"),
    path("backups/", web_views.backups_page, name="backups"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    # The Django admin signs in through the site's own steps (password, second factor, expired password).
    path("admin/login/", web_views.TongpinAdminLoginView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    path("", include("tongpin.newsroom.urls")),
    path("", include("tongpin.review.urls")),
    path("", include("tongpin.core.urls")),
    path("", include("tongpin.publishing.urls")),
    path("", include("tongpin.alerts.urls")),
    path("", include("tongpin.partners.urls")),
    path("", include("tongpin.planning.urls")),
    path("", include("tongpin.analytics.urls")),
    path("", include("tongpin.live.urls")),
    path("portal/", portal.portal, name="portal"),
]

handler400 = "tongpin.web.views.bad_request"
handler403 = "tongpin.web.views.permission_denied"
handler404 = "tongpin.web.views.page_not_found"
handler500 = "tongpin.web.views.server_error"
