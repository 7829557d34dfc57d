"""Django settings for Tongpin.

Everything a station changes comes from environment variables (documented in docs/configuration.md):
the embedded default needs none of them and keeps its data under $TONGPIN_HOME (default: the user's data
folder, ~/.local/share/tongpin on Linux; see tongpin.home).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from tongpin import installed
from tongpin.config import SettingError, env
from tongpin.home import data_home, sqlite_path

PACKAGE_DIR = Path(__file__).resolve().parent
HOME = data_home()
# Importing the settings creates the data folder (0700: the database, keys and uploads are the service's alone);
# the `tongpin` command refuses, before this import, commands that need a database which does not exist
# (tongpin.cli), so a mistyped command leaves nothing behind.
HOME.mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use TONGPIN_SECRET_KEY, or a key generated once and kept (mode 0600) in the home folder."""
    if env.is_set("TONGPIN_SECRET_KEY"):
        return env.str("TONGPIN_SECRET_KEY")
    key_file = HOME / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("TONGPIN_DEBUG")
ALLOWED_HOSTS = env.list("TONGPIN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("TONGPIN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [*installed.APPS]  # listed in tongpin/installed.py: `tongpin` reads them before these settings

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
    "tongpin.core.sessions.SessionLimitsMiddleware",  # idle and absolute session limits (docs/security.md)
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

# --- Database: embedded SQLite by default, PostgreSQL (or any database URL django-environ reads) at scale ---
SQLITE_PATH = sqlite_path(HOME)


def _private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it is missing, so SQLite (which would create it 0644, and gives its
    -wal and -shm files the database's mode) keeps it private."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


_DATABASE_URL = env.db_url("TONGPIN_DATABASE_URL")
if _DATABASE_URL is not None:
    DATABASES = {"default": {**_DATABASE_URL, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}}
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
if env.is_set("TONGPIN_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("TONGPIN_REDIS_URL"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks (Django tasks API; database backend works on SQLite and PostgreSQL) ---
TASK_QUEUES = ["default", "search", "media"]
TASKS = {
    "default": {
        "BACKEND": env.str("TONGPIN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": TASK_QUEUES,
    }
}

AUTH_USER_MODEL = "core.User"
# Passwords (tongpin.core.passwords, docs/security.md): at least 10 characters, or 8 with three of lower case,
# upper case, digits and other characters; none of the last 5 again. The same rules for the pages and the CLI.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "tongpin.core.passwords.ComplexityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "tongpin.core.passwords.HistoryValidator", "OPTIONS": {"keep": 5}},
]
# Days after which a password must be changed at the next sign-in; 0: never (the default).
TONGPIN_PASSWORD_MAX_AGE_DAYS = env.int("TONGPIN_PASSWORD_MAX_AGE_DAYS", 0)
# Accounts nobody signed in to for this many days are disabled (the worker, or `tongpin account disable-dormant`);
# 0: never. Machine accounts (API only) are not affected.
TONGPIN_DORMANT_DAYS = env.int("TONGPIN_DORMANT_DAYS", 90)


def _minutes_by_role(name: str, default: int) -> dict[str, int]:
    """"30" or "30,duty_officer=240": minutes for everyone ("*"), then per role name."""
    table: dict[str, int] = {}
    for part in env.list(name, [str(default)]):
        role, _sep, minutes = part.rpartition("=")
        if not minutes.strip().isdigit() or int(minutes) < 1:
            raise SettingError(name, env.raw(name), 'minutes, e.g. "30" or "30,duty_officer=240"')
        table[role.strip() or "*"] = int(minutes)
    table.setdefault("*", default)
    return table


# The sign-in and session policy per role name (tongpin.core.policy): roles that must sign in with a second factor
# (TOTP or a recovery code), and minutes without a request after which a session ends. Role names not (yet) in
# core.roles are allowed, so a role added later is covered by naming it here.
# Set but empty: no role must (anyone still may enrol).
TONGPIN_TWO_FACTOR_ROLES = (
    env.list("TONGPIN_TWO_FACTOR_ROLES")
    if "TONGPIN_TWO_FACTOR_ROLES" in os.environ
    else ["admin", "chief_editor", "duty_officer", "security_admin", "audit_admin"]
)
TONGPIN_SESSION_IDLE_MINUTES = _minutes_by_role("TONGPIN_SESSION_IDLE_MINUTES", 30)
# However active, a session ends this many hours after its sign-in.
TONGPIN_SESSION_MAX_HOURS = env.float("TONGPIN_SESSION_MAX_HOURS", 12.0)
OTP_TOTP_ISSUER = "Tongpin"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
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
TIME_ZONE = env.str("TONGPIN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media files ---
STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve straight from the installed package; no collectstatic step
MEDIA_ROOT = env.path("TONGPIN_MEDIA_ROOT", HOME / "media")
# No MEDIA_URL is routed: media is only ever served by views that check access.

# Uploads larger than this spool to disk instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600  # uploads, thumbnails, reports and journal PDFs: read by the service only
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Per-kind upload limits in bytes (assets).
TONGPIN_ASSET_LIMITS = {
    "image": env.int("TONGPIN_MAX_IMAGE_BYTES", 20 * 1024 * 1024),
    "audio": env.int("TONGPIN_MAX_AUDIO_BYTES", 200 * 1024 * 1024),
    "video": env.int("TONGPIN_MAX_VIDEO_BYTES", 1024 * 1024 * 1024),
    "document": env.int("TONGPIN_MAX_DOCUMENT_BYTES", 50 * 1024 * 1024),
}
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For entries are trusted for the audit log.
TONGPIN_TRUSTED_PROXIES = env.int("TONGPIN_TRUSTED_PROXIES", 0)

# --- Security ---
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(TONGPIN_SESSION_MAX_HOURS * 3600)
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
TONGPIN_DATA_CIPHER = env.choice("TONGPIN_DATA_CIPHER", ("sm4-gcm", "aes-256-gcm"), "sm4-gcm")
# HTTPS mode (docs/security.md): cookies only over HTTPS, plain HTTP redirected to HTTPS (the health probes and
# /metrics excepted: they are asked on the machine itself), HSTS. Behind a TLS-terminating proxy the proxy must set
# the header named by TONGPIN_PROXY_SSL_HEADER ("X-Forwarded-Proto: https" by default, "" if nothing sits in front)
# and strip it from what clients send.
TONGPIN_HTTPS = env.bool("TONGPIN_HTTPS")
if TONGPIN_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("TONGPIN_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("TONGPIN_HSTS_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = False
    # Set but empty means "no proxy": the one variable whose empty value differs from unset.
    _proxy_header = os.environ.get("TONGPIN_PROXY_SSL_HEADER", "X-Forwarded-Proto").strip()
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")

TONGPIN_NOTIFY_EMAIL = env.bool("TONGPIN_NOTIFY_EMAIL")
# Mail: one TONGPIN_EMAIL_URL (smtp://user:password@host:587, smtp+tls://…, smtp+ssl://…, consolemail://,
# filemail:///folder). The older TONGPIN_EMAIL_BACKEND (a backend's dotted path) still works when no URL is set.
EMAIL_BACKEND = env.str("TONGPIN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
_EMAIL = env.email_url("TONGPIN_EMAIL_URL")
if _EMAIL is not None:
    for _key, _value in _EMAIL.items():
        if _value is not None and _value != "":
            globals()[_key] = _value
    if EMAIL_BACKEND.endswith("filebased.EmailBackend") and not _EMAIL.get("EMAIL_FILE_PATH"):
        EMAIL_FILE_PATH = str(HOME / "mail")
DEFAULT_FROM_EMAIL = SERVER_EMAIL = env.str("TONGPIN_EMAIL_FROM", "tongpin@localhost")
# "monthly": on the 1st, each partner with an agreement in force gets last month's report, e-mailed as a PDF to
# its liaisons and contacts that have an address (docs/analytics.md).
TONGPIN_REPORT_SCHEDULE = env.choice("TONGPIN_REPORT_SCHEDULE", ("monthly", "off"), "")

# TONGPIN_LOG_FORMAT=json: one JSON object a line (time, level, logger, message), for log collectors.
_LOG_FORMAT = env.choice("TONGPIN_LOG_FORMAT", ("plain", "json"), "plain")
_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
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
    "root": {"handlers": ["console"], "level": env.choice("TONGPIN_LOG_LEVEL", _LOG_LEVELS, "info").upper()},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# gunicorn under `tongpin serve`: its access log, and the proxies whose X-Forwarded-* headers it trusts.
TONGPIN_ACCESS_LOG = env.bool("TONGPIN_ACCESS_LOG")
TONGPIN_FORWARDED_ALLOW_IPS = env.str("TONGPIN_FORWARDED_ALLOW_IPS", "127.0.0.1")

NINJA_PAGINATION_PER_PAGE = 20
TONGPIN_SITE_NAME = _("同频 融媒体协同平台")

# --- Publishing: the delivery queue (docs/publishing.md) ---
TONGPIN_OUTBOX = env.path("TONGPIN_OUTBOX", HOME / "outbox")  # file-drop channels write here
TONGPIN_DELIVERY_THREADS = env.int("TONGPIN_DELIVERY_THREADS", 8, minimum=1)  # sending threads per worker
# An idle worker's safety poll, seconds: queued work wakes workers at once (datagrams on this machine, NOTIFY on
# PostgreSQL), so the poll only catches what comes due later (scheduled sends, retries) and missed wake-ups.
TONGPIN_DELIVERY_POLL = env.float("TONGPIN_DELIVERY_POLL", 1.0)
# A claimed delivery whose worker has not answered for this long is handed to another (must exceed timeouts).
TONGPIN_DELIVERY_LEASE = env.float("TONGPIN_DELIVERY_LEASE", 90.0)
# Workers beat every TONGPIN_WORKER_BEAT seconds; one silent for TONGPIN_WORKER_DEAD_AFTER is taken for dead and
# the deliveries it had claimed are sent by the others (the lease above stays the backstop).
TONGPIN_WORKER_BEAT = env.float("TONGPIN_WORKER_BEAT", 1.0)
TONGPIN_WORKER_DEAD_AFTER = env.float("TONGPIN_WORKER_DEAD_AFTER", 3.0)
TONGPIN_DELIVERY_BACKOFF = env.float("TONGPIN_DELIVERY_BACKOFF", 2.0)  # first retry delay, seconds
TONGPIN_CHANNEL_PAUSE_AFTER = env.int("TONGPIN_CHANNEL_PAUSE_AFTER", 10, minimum=1)  # failures in a row
TONGPIN_BASE_URL = env.str("TONGPIN_BASE_URL").rstrip("/")  # public address, for links in renditions
# Private networks outbound connections (webhooks, SMTP, the WeChat API) may reach, as CIDRs separated by commas,
# e.g. "10.20.0.0/16" for a receiver inside the station; public addresses are always allowed (docs/security.md).
TONGPIN_OUTBOUND_ALLOW = env.list("TONGPIN_OUTBOUND_ALLOW")

# --- Warnings (docs/alerts.md) ---
TONGPIN_CAP_MAX_BYTES = env.int("TONGPIN_CAP_MAX_BYTES", 2 * 1024 * 1024, minimum=1)
TONGPIN_CAP_PROFILE = env.choice("TONGPIN_CAP_PROFILE", ("china", "ipaws"), "")  # empty: CAP 1.2 only
TONGPIN_TTS_ENGINE = env.str("TONGPIN_TTS_ENGINE", "espeak")
TONGPIN_TTS_COMMAND = env.str("TONGPIN_TTS_COMMAND")  # an installed voice: "... {text_file} ... {wav}"
TONGPIN_TTS_RATE = env.int("TONGPIN_TTS_RATE", 150, minimum=1)  # espeak-ng words per minute
TONGPIN_CAP_SENDER = env.str("TONGPIN_CAP_SENDER", "tongpin@localhost")  # <sender> of alerts composed here
# Paging the duty officer (docs/alerts.md "Waking the duty officer"): how long a page's one-time confirm link works,
# how often one lane-health condition pages again while it lasts, and a route's retries before it gives up.
TONGPIN_PAGE_LINK_MAX_AGE = env.int("TONGPIN_PAGE_LINK_MAX_AGE", 12 * 3600, minimum=1)  # seconds
TONGPIN_LANE_PAGE_EVERY = env.int("TONGPIN_LANE_PAGE_EVERY", 1800, minimum=1)  # seconds
TONGPIN_PAGE_ATTEMPTS = env.int("TONGPIN_PAGE_ATTEMPTS", 5, minimum=1)
# Web processes run the lane-health watch from /readyz at most this often (seconds; 0: never) — docs/operations.md.
TONGPIN_LANE_WATCH_EVERY = env.int("TONGPIN_LANE_WATCH_EVERY", 30, minimum=0)
TONGPIN_PAGE_TIMEOUT = env.float("TONGPIN_PAGE_TIMEOUT", 5.0)  # seconds per gateway request

# --- Watching it (docs/operations.md) ---
# /readyz answers 503 when the oldest due priority delivery (priority ≥ 50) has waited longer than this, seconds.
TONGPIN_READY_MAX_PRIORITY_AGE = env.float("TONGPIN_READY_MAX_PRIORITY_AGE", 30.0)
# /metrics is open to loopback; from elsewhere it needs "Authorization: Bearer <this>" (unset: loopback only).
TONGPIN_METRICS_TOKEN = env.str("TONGPIN_METRICS_TOKEN")
# Sends by outcome and delivery latency in /metrics count the attempts and deliveries of this many last seconds.
TONGPIN_METRICS_WINDOW = env.int("TONGPIN_METRICS_WINDOW", 300, minimum=1)

# --- Back up and restore (docs/operations.md) ---
TONGPIN_BACKUP_DIR = env.path("TONGPIN_BACKUP_DIR", HOME / "backups")
# "off", "daily" (03:00) or "daily@HH:MM" (local time): the worker takes one backup a day, on one worker only.
_SCHEDULE = r"off|no|none|0|false|daily([@ ]([01]\d|2[0-3]):[0-5]\d)?"
TONGPIN_BACKUP_SCHEDULE = env.match("TONGPIN_BACKUP_SCHEDULE", _SCHEDULE, "off", "off, daily or daily@HH:MM")
TONGPIN_BACKUP_KEEP = env.int("TONGPIN_BACKUP_KEEP", 7, minimum=1)  # archives kept in TONGPIN_BACKUP_DIR

# --- Keep it tidy (docs/operations.md): days after which the worker deletes these; 0 keeps them for ever.
TONGPIN_RETENTION_DAYS = {
    "task_results": env.int("TONGPIN_KEEP_TASK_RESULTS_DAYS", 30),  # finished background tasks
    "delivery_attempts": env.int("TONGPIN_KEEP_DELIVERY_ATTEMPTS_DAYS", 180),  # per-try delivery log
    "read_notifications": env.int("TONGPIN_KEEP_READ_NOTIFICATIONS_DAYS", 90),
    "alert_audio": env.int("TONGPIN_KEEP_ALERT_AUDIO_DAYS", 90),  # synthesised warning speech
    "import_files": env.int("TONGPIN_KEEP_IMPORT_FILES_DAYS", 180),  # uploaded metric spreadsheets
}
TONGPIN_TIDY_EVERY = env.float("TONGPIN_TIDY_EVERY", 3600.0)  # seconds between a worker's passes
# The audit log's retention (docs/security.md, 安全审计): 0 (the default) keeps it for ever; otherwise at least 180
# days (等保 2.0, 网络安全法 第二十一条): a shorter value stops the start, naming the variable.
TONGPIN_KEEP_AUDIT_DAYS = env.int("TONGPIN_KEEP_AUDIT_DAYS", 0)
if 0 < TONGPIN_KEEP_AUDIT_DAYS < 180:
    raise SettingError(
        "TONGPIN_KEEP_AUDIT_DAYS", str(TONGPIN_KEEP_AUDIT_DAYS), "the audit log is kept at least 180 days (0: for ever)"
    )
# A report build still running after this long lost its worker: retried once, then failed.
TONGPIN_REPORT_STUCK_MINUTES = env.float("TONGPIN_REPORT_STUCK_MINUTES", 60.0)
