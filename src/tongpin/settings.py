"""Django settings for Tongpin.

Everything a station changes comes from environment variables (documented in docs/configuration.md):
the embedded default needs none of them and keeps its data under $TONGPIN_HOME (default ./var).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("TONGPIN_HOME", "var")).resolve()
HOME.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use TONGPIN_SECRET_KEY, or a key generated once and kept (mode 0600) in the home folder."""
    if os.environ.get("TONGPIN_SECRET_KEY"):
        return os.environ["TONGPIN_SECRET_KEY"]
    key_file = HOME / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("TONGPIN_DEBUG")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("TONGPIN_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("TONGPIN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
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

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tongpin.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tongpin.web.middleware.DomainErrorMiddleware",
]
CSRF_FAILURE_VIEW = "tongpin.web.views.csrf_failure"

ROOT_URLCONF = "tongpin.urls"
WSGI_APPLICATION = "tongpin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tongpin.web.context.navigation",
            ],
        },
    },
]

# --- Database: embedded SQLite by default, PostgreSQL (or any dj-database-url URL) at scale ---
SQLITE_PATH = HOME / "tongpin.sqlite3"
if os.environ.get("TONGPIN_DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(os.environ["TONGPIN_DATABASE_URL"], conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "tongpin.core.sqlite",
            "NAME": SQLITE_PATH,
            # Kept open per thread: opening one (file, WAL and pragmas) cost more than a whole warning's reads.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # IMMEDIATE makes writers queue on the lock instead of failing mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000; PRAGMA mmap_size=268435456;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis where configured (several processes), process memory otherwise ---
if os.environ.get("TONGPIN_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["TONGPIN_REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks (Django tasks API; database backend works on SQLite and PostgreSQL) ---
TASK_QUEUES = ["default", "search", "media"]
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TONGPIN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": TASK_QUEUES,
    }
}

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Language: Simplified Chinese first; message ids are Chinese, English comes from locale/en ---
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TONGPIN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media files ---
STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve straight from the installed package; no collectstatic step
MEDIA_ROOT = Path(os.environ.get("TONGPIN_MEDIA_ROOT", HOME / "media")).resolve()
# No MEDIA_URL is routed: media is only ever served by views that check access.

# Uploads larger than this spool to disk instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# Per-kind upload limits in bytes (assets).
TONGPIN_ASSET_LIMITS = {
    "image": int(os.environ.get("TONGPIN_MAX_IMAGE_BYTES", 20 * 1024 * 1024)),
    "audio": int(os.environ.get("TONGPIN_MAX_AUDIO_BYTES", 200 * 1024 * 1024)),
    "video": int(os.environ.get("TONGPIN_MAX_VIDEO_BYTES", 1024 * 1024 * 1024)),
    "document": int(os.environ.get("TONGPIN_MAX_DOCUMENT_BYTES", 50 * 1024 * 1024)),
}
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For entries are trusted for the audit log.
TONGPIN_TRUSTED_PROXIES = int(os.environ.get("TONGPIN_TRUSTED_PROXIES", "0"))

# --- Security ---
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _env_bool("TONGPIN_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

TONGPIN_NOTIFY_EMAIL = _env_bool("TONGPIN_NOTIFY_EMAIL")
EMAIL_BACKEND = os.environ.get("TONGPIN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# "monthly": on the 1st, each partner with an agreement in force gets last month's report, e-mailed as a PDF to
# its liaisons and contacts that have an address (docs/analytics.md).
TONGPIN_REPORT_SCHEDULE = os.environ.get("TONGPIN_REPORT_SCHEDULE", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TONGPIN_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

NINJA_PAGINATION_PER_PAGE = 20
TONGPIN_SITE_NAME = _("同频 融媒体协同平台")

# --- Publishing: the delivery queue (docs/publishing.md) ---
TONGPIN_OUTBOX = Path(os.environ.get("TONGPIN_OUTBOX", HOME / "outbox")).resolve()  # file-drop channels write here
TONGPIN_DELIVERY_THREADS = int(os.environ.get("TONGPIN_DELIVERY_THREADS", "8"))  # sending threads per worker
# An idle worker's safety poll, seconds: queued work wakes workers at once (datagrams on this machine, NOTIFY on
# PostgreSQL), so the poll only catches what comes due later (scheduled sends, retries) and missed wake-ups.
TONGPIN_DELIVERY_POLL = float(os.environ.get("TONGPIN_DELIVERY_POLL", "1"))
# A claimed delivery whose worker has not answered for this long is handed to another (must exceed timeouts).
TONGPIN_DELIVERY_LEASE = float(os.environ.get("TONGPIN_DELIVERY_LEASE", "90"))
# Workers beat every TONGPIN_WORKER_BEAT seconds; one silent for TONGPIN_WORKER_DEAD_AFTER is taken for dead and
# the deliveries it had claimed are sent by the others (the lease above stays the backstop).
TONGPIN_WORKER_BEAT = float(os.environ.get("TONGPIN_WORKER_BEAT", "1"))
TONGPIN_WORKER_DEAD_AFTER = float(os.environ.get("TONGPIN_WORKER_DEAD_AFTER", "3"))
TONGPIN_DELIVERY_BACKOFF = float(os.environ.get("TONGPIN_DELIVERY_BACKOFF", "2"))  # first retry delay, seconds
TONGPIN_CHANNEL_PAUSE_AFTER = int(os.environ.get("TONGPIN_CHANNEL_PAUSE_AFTER", "10"))  # failures in a row
TONGPIN_BASE_URL = os.environ.get("TONGPIN_BASE_URL", "").rstrip("/")  # public address, for links in renditions

# --- Warnings (docs/alerts.md) ---
TONGPIN_CAP_MAX_BYTES = int(os.environ.get("TONGPIN_CAP_MAX_BYTES", str(2 * 1024 * 1024)))
TONGPIN_CAP_PROFILE = os.environ.get("TONGPIN_CAP_PROFILE", "")  # e.g. "china" or "ipaws"; empty: CAP 1.2 only
TONGPIN_TTS_ENGINE = os.environ.get("TONGPIN_TTS_ENGINE", "espeak")
TONGPIN_TTS_COMMAND = os.environ.get("TONGPIN_TTS_COMMAND", "")  # an installed voice: "... {text_file} ... {wav}"
TONGPIN_TTS_RATE = int(os.environ.get("TONGPIN_TTS_RATE", "150"))  # espeak-ng words per minute
TONGPIN_CAP_SENDER = os.environ.get("TONGPIN_CAP_SENDER", "tongpin@localhost")  # <sender> of alerts composed here

# --- Back up and restore (docs/operations.md) ---
TONGPIN_BACKUP_DIR = Path(os.environ.get("TONGPIN_BACKUP_DIR", HOME / "backups")).resolve()
# "off", "daily" (03:00) or "daily@HH:MM" (local time): the worker takes one backup a day, on one worker only.
TONGPIN_BACKUP_SCHEDULE = os.environ.get("TONGPIN_BACKUP_SCHEDULE", "off")
TONGPIN_BACKUP_KEEP = int(os.environ.get("TONGPIN_BACKUP_KEEP", "7"))  # archives kept in TONGPIN_BACKUP_DIR

# --- Keep it tidy (docs/operations.md): days after which the worker deletes these; 0 keeps them for ever.
# The audit log is never deleted.
TONGPIN_RETENTION_DAYS = {
    "task_results": int(os.environ.get("TONGPIN_KEEP_TASK_RESULTS_DAYS", "30")),  # finished background tasks
    "delivery_attempts": int(os.environ.get("TONGPIN_KEEP_DELIVERY_ATTEMPTS_DAYS", "180")),  # per-try delivery log
    "read_notifications": int(os.environ.get("TONGPIN_KEEP_READ_NOTIFICATIONS_DAYS", "90")),
    "alert_audio": int(os.environ.get("TONGPIN_KEEP_ALERT_AUDIO_DAYS", "90")),  # synthesised warning speech
    "import_files": int(os.environ.get("TONGPIN_KEEP_IMPORT_FILES_DAYS", "180")),  # uploaded metric spreadsheets
}
TONGPIN_TIDY_EVERY = float(os.environ.get("TONGPIN_TIDY_EVERY", "3600"))  # seconds between a worker's passes
# A report build still running after this long lost its worker: retried once, then failed.
TONGPIN_REPORT_STUCK_MINUTES = float(os.environ.get("TONGPIN_REPORT_STUCK_MINUTES", "60"))
