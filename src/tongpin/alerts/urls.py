from django.urls import path

from . import views

urlpatterns = [
    path("alerts/", views.console, name="alert-console"),
    path("alerts/new/", views.composer, name="alert-compose"),
    path("alerts/feed.atom", views.atom_feed, name="alert-feed"),
    path("alerts/audio/<str:name>", views.audio, name="alert-audio"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:alert_id>/cap.xml", views.cap_xml, name="alert-cap"),
    path("alerts/<int:alert_id>/audio.wav", views.alert_audio, {"which": "on-air"}, name="alert-audio-on-air"),
    path("alerts/<int:alert_id>/preview.wav", views.alert_audio, {"which": "preview"}, name="alert-audio-preview"),
    path("alerts/<int:alert_id>/confirm/", views.alert_decide, {"decision": "confirm"}, name="alert-confirm"),
    path("alerts/<int:alert_id>/reject/", views.alert_decide, {"decision": "reject"}, name="alert-reject"),
]
