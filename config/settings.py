"""Accord settings: everything comes from the environment, with defaults that run a checkout at once
(SQLite in WAL mode, Celery's filesystem broker under var/)."""

import sys
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.secret_key import generated_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ACCORD_VAR_DIR", str(BASE_DIR / "var")))

# Debug is for developers who ask for it (DJANGO_DEBUG=1); `make run` looks and fails like production.
DEBUG = env_bool("DJANGO_DEBUG", False)
# Without DJANGO_SECRET_KEY, a key generated once under var/ (mode 600). Machines that share
# sessions must share the key: set it.
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or generated_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
# The HTTPS-only settings (redirect, HSTS, secure cookies; see the end of this file): on in
# production behind TLS, off for `make run` on loopback over plain HTTP.
HTTPS = env_bool("ACCORD_HTTPS", False)
# With DEBUG on, people still see the product's error pages; 1 brings back Django's debug pages.
ACCORD_DEBUG_ERROR_PAGES = env_bool("ACCORD_DEBUG_ERROR_PAGES", False)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.apps.AccordAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "django_celery_beat",
    "import_export",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "outbox",
    "alignment",
    "leads",
    "reviews",
    "insights",
    "api",
    "webforms",
    "webhooks",
    "security",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # request.htmx: an inline action answers with the fragment it replaces, a plain post with a redirect.
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # With DEBUG on, the product's 404 and 500 pages rather than Django's technical ones.
    "config.middleware.ProductErrorPagesMiddleware",
    # Last, so it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alignment.context_processors.roles",
                "leads.context_processors.notifications",
                "config.navigation.navigation",
            ],
        },
    },
]

# Database: PostgreSQL when DATABASE_URL is set, otherwise SQLite in WAL mode so the web
# process, the worker and beat can share one file.
if env_str("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL"), conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "accord.sqlite3")),
            # A connection is kept between requests, as on PostgreSQL, with a page cache of 64 MB
            # and the file memory-mapped: a fresh connection per request, with SQLite's 2 MB
            # cache, read every page it needed through the system again.
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
                    " PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Tests get a file of their own rather than SQLite's shared in-memory database, which
            # refuses a second writer at once instead of waiting: the tests that run a real
            # worker beside the test write from two threads, as the web and worker processes do.
            "TEST": {"NAME": str(VAR_DIR / "test-accord.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Some indexes carry extra columns (`include=`) so PostgreSQL answers from the index alone;
# SQLite has no such indexes and builds them without those columns, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is locked out for AXES_COOLOFF_TIME hours, on the workspace login and the
# admin's alike; the login page says so (status 429). A leader unlocks someone by deleting the
# row in the admin's "Access attempts", or `manage.py axes_reset_username NAME` / `axes_reset`.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "alignment.backends.RolesBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_TIME", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Behind N reverse proxies the client's address is in X-Forwarded-For (security.clients).
ACCORD_PROXY_COUNT = env_int("ACCORD_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "security.clients.client_ip"

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline.
# Styles allow 'unsafe-inline' because the dashboard's inline SVG charts carry <style> elements and
# a few progress bars set their width in a style attribute.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The cache every web process shares: Redis when there is one, else an SQLite file under var/
# (diskcache), whose incr is atomic across processes as Redis's is, so the API's per-key
# throttle and the forms' per-address limit count one budget however many processes serve.
if env_str("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("REDIS_URL")}}
else:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.DiskCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Sessions are written to the database and read through the cache: a signed-in page does not
# query the session table.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Web-to-lead forms: a post larger than this is refused unread; one address may post a form this
# many times a minute, more is counted and dropped.
ACCORD_FORM_MAX_BYTES = env_int("ACCORD_FORM_MAX_BYTES", 16_384)
ACCORD_FORM_POSTS_PER_MINUTE = env_int("ACCORD_FORM_POSTS_PER_MINUTE", 5)

# The REST API (Django REST framework, OpenAPI 3 schema by drf-spectacular at /api/schema/).
# Integrations authenticate with their API key; people with their session (and its CSRF token).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.IntegrationKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerCallerThrottle"],
    "DEFAULT_THROTTLE_RATES": {"caller": env_str("ACCORD_API_RATE", "600/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Accord API",
    "DESCRIPTION": "Leads in, outcomes out: create and update leads, log their activity, read hand-off outcomes.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Grade and bucket are empty until a definition is active: say so in their enums.
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": True,
    # A hand-off's status and an answered row's status are different choices with one field name.
    "ENUM_NAME_OVERRIDES": {"HandoffStatusEnum": "leads.models.Handoff.Status"},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("ACCORD_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded import files; never served, only read back by the importer.
MEDIA_ROOT = Path(env_str("ACCORD_MEDIA_ROOT", str(VAR_DIR / "media")))
# Bootstrap is served from the xstatic package: no CDN, nothing fetched at run time.
STATICFILES_DIRS = [("bootstrap", xstatic.pkg.bootstrap.BASE_DIR), BASE_DIR / "static"]
# WhiteNoise serves the static files collectstatic hashed and compressed (`make run` runs it).
# Where nothing collects them (debug, pytest, which forces DEBUG off, and the benchmarks:
# ACCORD_STATIC_MANIFEST=0) they are served under their own names.
STATIC_MANIFEST = env_bool("ACCORD_STATIC_MANIFEST", not DEBUG and "pytest" not in sys.modules)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Reference data (sources, campaigns, teams, memberships, rejection reasons) is imported and
# exported from the admin with django-import-export. Importing takes the model's change
# permission and exporting its view permission (the admin mixin also asks for add); each import
# runs in one transaction, and its preview is a dry run that is rolled back. Uploads wait for
# confirmation under MEDIA_ROOT, which every web process reads.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_CONFIRM = False
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console by default, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Accord <accord@localhost>")
# The outbox (outbox/): emails sent right after commit wait at most this many seconds for the
# mail server (the replay retries later); Message-IDs are made in this domain.
ACCORD_OUTBOX_EMAIL_TIMEOUT = env_int("ACCORD_OUTBOX_EMAIL_TIMEOUT", 10)
# A task or email still not sent this long after it was written is given up (and logged).
ACCORD_OUTBOX_GIVE_UP_HOURS = env_int("ACCORD_OUTBOX_GIVE_UP_HOURS", 72)
ACCORD_OUTBOX_MAIL_DOMAIN = env_str("ACCORD_OUTBOX_MAIL_DOMAIN", "accord.localhost")

# Celery: Redis when REDIS_URL is set, otherwise the filesystem transport under var/.
REDIS_URL = env_str("REDIS_URL")
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A broker that does not answer fails a publish in seconds (the outbox keeps the message).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 3}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        # The exchange table too, which the transport would otherwise write to ./control.
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (CELERY_FILESYSTEM_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Service levels in business hours of the receiving team, until the qualified-lead definitions
# carry their own agreed terms.
ACCORD_ACCEPT_WITHIN_HOURS = env_int("ACCORD_ACCEPT_WITHIN_HOURS", 8)
ACCORD_FIRST_TOUCH_WITHIN_HOURS = env_int("ACCORD_FIRST_TOUCH_WITHIN_HOURS", 16)
# Touches a rep logs before a lead may be given up as unresponsive.
ACCORD_TOUCHES_BEFORE_UNRESPONSIVE = env_int("ACCORD_TOUCHES_BEFORE_UNRESPONSIVE", 3)
# The rep is reminded this many minutes before a due time (0: once it has passed); the manager
# is told this many hours after it, and only once the rep was reminded; a hand-off still pending
# this many hours after its due time expires.
ACCORD_REMIND_BEFORE_MINUTES = env_int("ACCORD_REMIND_BEFORE_MINUTES", 60)
ACCORD_ESCALATE_AFTER_HOURS = env_int("ACCORD_ESCALATE_AFTER_HOURS", 8)
ACCORD_EXPIRE_AFTER_HOURS = env_int("ACCORD_EXPIRE_AFTER_HOURS", 24)
# What expiry does: "return" the lead to the marketing queue, or "reassign" it within the team.
# Imports: phone numbers written without a country code are read as this region's; files with
# more rows than ACCORD_IMPORT_INLINE_ROWS are previewed and imported by a worker.
ACCORD_PHONE_REGION = env_str("ACCORD_PHONE_REGION", "US")
ACCORD_IMPORT_INLINE_ROWS = env_int("ACCORD_IMPORT_INLINE_ROWS", 2000)
ACCORD_EXPIRY_ACTION = env_str("ACCORD_EXPIRY_ACTION", "return")
if ACCORD_EXPIRY_ACTION not in ("return", "reassign"):
    raise ImproperlyConfigured(f"ACCORD_EXPIRY_ACTION must be 'return' or 'reassign', not {ACCORD_EXPIRY_ACTION!r}")
# Where links in emails point (leads.notifications.absolute_url); unset, the address `make run`
# serves on, which follows PORT.
ACCORD_BASE_URL = env_str("ACCORD_BASE_URL", "") or f"http://127.0.0.1:{env_int('PORT', 8000)}"
# The dashboard's hygiene audit: accepted leads untouched this many days, open leads whose stage
# has not changed in this many.
ACCORD_NO_TOUCH_DAYS = env_int("ACCORD_NO_TOUCH_DAYS", 14)
ACCORD_UNCHANGED_DAYS = env_int("ACCORD_UNCHANGED_DAYS", 90)
# Outbound webhooks (webhooks/): a URL resolving to a private, loopback or link-local address is
# refused unless this is on (the tests and `make run` turn it on; production leaves it off).
ACCORD_WEBHOOKS_ALLOW_PRIVATE = env_bool("ACCORD_WEBHOOKS_ALLOW_PRIVATE", False)
# Seconds a receiver has to answer; hours a delivery is retried before it is marked failed;
# deliveries failed in a row after which a subscription is paused; requests sent at once.
ACCORD_WEBHOOKS_TIMEOUT = env_int("ACCORD_WEBHOOKS_TIMEOUT", 5)
ACCORD_WEBHOOKS_RETRY_HOURS = env_int("ACCORD_WEBHOOKS_RETRY_HOURS", 24)
ACCORD_WEBHOOKS_PAUSE_AFTER = env_int("ACCORD_WEBHOOKS_PAUSE_AFTER", 20)
ACCORD_WEBHOOKS_CONCURRENCY = env_int("ACCORD_WEBHOOKS_CONCURRENCY", 16)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # 403s and 404s are answers, not errors: keep their tracebacks out of the log.
    "loggers": {"django.request": {"level": "ERROR"}},
}

if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
