"""Tongpin's Django apps (settings.INSTALLED_APPS), kept apart from the settings: the `tongpin` command reads
them to tell a command from a typo before it imports the settings, which creates the data folder (tongpin.cli)."""

APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "tongpin.core",
    "tongpin.partners",
    "tongpin.planning",
    "tongpin.publishing",
    "tongpin.newsroom",
    "tongpin.review",
    "tongpin.alerts",
    "tongpin.live",
    "tongpin.analytics",
    "tongpin.web",
]
