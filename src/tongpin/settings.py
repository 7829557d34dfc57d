"""Django settings for Tongpin.

Everything a station changes comes from environment variables (documented in docs/configuration.md):
the embedded default needs none of them and keeps its data under $TONGPIN_HOME (default: the user's data
folder, ~/.local/share/tongpin on Linux; see tongpin.home).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from tongpin.home import data_home, sqlite_path

PACKAGE_DIR = Path(__file__).resolve().parent
HOME = data_home()
# Importing the settings creates the data folder (0700: the database, keys and uploads are the service's alone);
# the `tongpin` command refuses, before this import, commands that need a database which does not exist
# (tongpin.cli), so a mistyped command leaves nothing behind.
HOME.mkdir(mode=0o700, parents=True, exist_ok=True)


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
    "axes",
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
    "tongpin.web.metrics.RequestLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
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
    "axes.middleware.AxesMiddleware",  # turns a lock-out into the 429 page or API answer
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
            "builtins": ["tongpin.core.templatetags.weblinks"],  # {{ url|web_url }}: http(s) hrefs only
        },
    },
]

# --- Database: embedded SQLite by default, PostgreSQL (or any dj-database-url URL) at scale ---
SQLITE_PATH = sqlite_path(HOME)


def _private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it is missing, so SQLite (which would create it 0644, and gives its
    -wal and -shm files the database's mode) keeps it private."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


if os.environ.get("TONGPIN_DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(os.environ["TONGPIN_DATABASE_URL"], conn_max_age=60, conn_health_checks=True)
    }
else:
    _private_file(SQLITE_PATH)
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Sign-in throttling (django-axes, database handler; rules in tongpin.core.signin, docs/security.md): axes'
# backend comes first and refuses a locked name or address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_FAILURE_LIMIT = "tongpin.core.signin.failure_limit"
AXES_LOCKOUT_PARAMETERS = "tongpin.core.signin.lockout_parameters"
AXES_USERNAME_CALLABLE = "tongpin.core.signin.username"
AXES_CLIENT_IP_CALLABLE = "tongpin.core.audit.client_ip"
AXES_LOCKOUT_CALLABLE = "tongpin.web.views.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit log already
AXES_VERBOSE = False
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
FILE_UPLOAD_PERMISSIONS = 0o600  # uploads, thumbnails, reports and journal PDFs: read by the service only
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

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
# Content-Security-Policy on every answer (django-csp; Django 5.2 has none of its own): scripts, styles, pictures
# and connections from this site only, no inline script or style, no plug-ins, no framing. A view that sets its
# own policy (asset downloads: a sandbox) keeps it. docs/security.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Secrets at rest (channel credentials, feed keys) are sealed with the data key: TONGPIN_DATA_KEY, or the file
# data_key beside secret_key (made 0600 when first needed). sm4-gcm (default) or aes-256-gcm (docs/security.md).
TONGPIN_DATA_CIPHER = os.environ.get("TONGPIN_DATA_CIPHER", "sm4-gcm").strip().lower()
if _env_bool("TONGPIN_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

TONGPIN_NOTIFY_EMAIL = _env_bool("TONGPIN_NOTIFY_EMAIL")
EMAIL_BACKEND = os.environ.get("TONGPIN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# "monthly": on the 1st, each partner with an agreement in force gets last month's report, e-mailed as a PDF to
# its liaisons and contacts that have an address (docs/analytics.md).
TONGPIN_REPORT_SCHEDULE = os.environ.get("TONGPIN_REPORT_SCHEDULE", "")

# TONGPIN_LOG_FORMAT=json: one JSON object a line (time, level, logger, message), for log collectors.
_LOG_FORMAT = "json" if os.environ.get("TONGPIN_LOG_FORMAT", "").strip().lower() == "json" else "plain"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": _LOG_FORMAT}},
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
# Private networks outbound connections (webhooks, SMTP, the WeChat API) may reach, as CIDRs separated by commas,
# e.g. "10.20.0.0/16" for a receiver inside the station; public addresses are always allowed (docs/security.md).
TONGPIN_OUTBOUND_ALLOW = [n.strip() for n in os.environ.get("TONGPIN_OUTBOUND_ALLOW", "").split(",") if n.strip()]

# --- Warnings (docs/alerts.md) ---
TONGPIN_CAP_MAX_BYTES = int(os.environ.get("TONGPIN_CAP_MAX_BYTES", str(2 * 1024 * 1024)))
TONGPIN_CAP_PROFILE = os.environ.get("TONGPIN_CAP_PROFILE", "")  # e.g. "china" or "ipaws"; empty: CAP 1.2 only
TONGPIN_TTS_ENGINE = os.environ.get("TONGPIN_TTS_ENGINE", "espeak")
TONGPIN_TTS_COMMAND = os.environ.get("TONGPIN_TTS_COMMAND", "")  # an installed voice: "... {text_file} ... {wav}"
TONGPIN_TTS_RATE = int(os.environ.get("TONGPIN_TTS_RATE", "150"))  # espeak-ng words per minute
TONGPIN_CAP_SENDER = os.environ.get("TONGPIN_CAP_SENDER", "tongpin@localhost")  # <sender> of alerts composed here

# --- Watching it (docs/operations.md) ---
# /readyz answers 503 when the oldest due priority delivery (priority ≥ 50) has waited longer than this, seconds.
TONGPIN_READY_MAX_PRIORITY_AGE = float(os.environ.get("TONGPIN_READY_MAX_PRIORITY_AGE", "30"))
# /metrics is open to loopback; from elsewhere it needs "Authorization: Bearer <this>" (unset: loopback only).
TONGPIN_METRICS_TOKEN = os.environ.get("TONGPIN_METRICS_TOKEN", "")
# Sends by outcome and delivery latency in /metrics count the attempts and deliveries of this many last seconds.
TONGPIN_METRICS_WINDOW = int(os.environ.get("TONGPIN_METRICS_WINDOW", "300"))

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
