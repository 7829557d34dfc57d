from django.urls import path

from . import duty_views, settings_views, views

urlpatterns = [
    path("alerts/", views.console, name="alert-console"),
    path("alerts/new/", views.composer, name="alert-compose"),
    path("alerts/feed.atom", views.atom_feed, name="alert-feed"),
    path("alerts/audio/<str:name>", views.audio, name="alert-audio"),
    path("alerts/settings/", settings_views.policies, name="alert-settings"),
    path("alerts/settings/coverage/", settings_views.coverage_list, name="alert-settings-coverage"),
    path("alerts/settings/coverage/<int:channel_id>/", settings_views.coverage_edit,
         name="alert-settings-coverage-edit"),  # fmt: skip
    path("alerts/settings/certificates/", settings_views.certificates, name="alert-settings-certificates"),
    path("alerts/settings/certificates/<int:certificate_id>/remove/", settings_views.certificate_remove,
         name="alert-settings-certificate-remove"),  # fmt: skip
    path("alerts/settings/duty/", duty_views.roster, name="alert-settings-duty"),
    path("alerts/settings/paging/", duty_views.routes, name="alert-settings-paging"),
    path("alerts/drill/", duty_views.run_drill, name="alert-drill"),
    path("duty/page/<str:token>/", duty_views.page_link, name="duty-page-link"),
    path("alerts/settings/divisions.json", settings_views.division_search, name="alert-settings-divisions"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:alert_id>/cap.xml", views.cap_xml, name="alert-cap"),
    path("alerts/<int:alert_id>/audio.wav", views.alert_audio, {"which": "on-air"}, name="alert-audio-on-air"),
    path("alerts/<int:alert_id>/preview.wav", views.alert_audio, {"which": "preview"}, name="alert-audio-preview"),
    path("alerts/<int:alert_id>/confirm/", views.alert_decide, {"decision": "confirm"}, name="alert-confirm"),
    path("alerts/<int:alert_id>/reject/", views.alert_decide, {"decision": "reject"}, name="alert-reject"),
]
