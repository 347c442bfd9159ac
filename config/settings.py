"""Kopdes settings, read from the environment with safe embedded defaults for development.

`DJANGO_ENV=production` turns on the production profile, which refuses to start without its
secrets. Nothing here is read by application modules at import time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
# Under pytest even when KOPDES_TESTING is not exported (a bare `pytest` works too).
TESTING = env_bool("KOPDES_TESTING", False) or "pytest" in sys.modules

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdefghij"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", "" if PRODUCTION else DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION and not TESTING)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address of the site, for links in emails ("https://kopdes.example.id"); without it,
# the first ALLOWED_HOSTS entry.
KOPDES_SITE_URL = env("KOPDES_SITE_URL", "")
# Shared with the payment provider: its callbacks carry an HMAC-SHA256 of the body made with it.
DEV_PAYMENT_SECRET = "dev-only-payment-webhook-secret"  # noqa: S105
PAYMENT_WEBHOOK_SECRET = env("PAYMENT_WEBHOOK_SECRET", "" if PRODUCTION else DEV_PAYMENT_SECRET)

if PRODUCTION:
    missing = [
        name
        for name in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "PAYMENT_WEBHOOK_SECRET")
        if not os.environ.get(name)
    ]
    if missing:
        raise ImproperlyConfigured("Production refuses to start without: " + ", ".join(missing))
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("Production needs a SECRET_KEY of at least 50 characters.")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "leaflet",
    "kopdes.core",
    "kopdes.regions",
    "kopdes.accounts",
    "kopdes.cooperatives",
    "kopdes.products",
    "kopdes.market",
    "kopdes.monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kopdes.core.middleware.RequestContextMiddleware",
    "kopdes.core.middleware.RejectNulMiddleware",
    "kopdes.core.exception_middleware.DomainErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the outcome of authentication views (django-axes' own advice).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kopdes" / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kopdes.core.context_processors.shell",
                "kopdes.market.context_processors.cart",
            ],
            "builtins": [
                "django.templatetags.i18n",
                "kopdes.core.templatetags.i18n_literals",
                "django.templatetags.static",
            ],
        },
    }
]
# Widgets (the region picker) render with the project's template settings and builtins.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
# Cached template loaders in every environment but DEBUG, where templates must reload on edit.
_template_loaders = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES[0]["OPTIONS"]["loaders"] = (
    _template_loaders if DEBUG else [("django.template.loaders.cached.Loader", _template_loaders)]
)

# --- Data -------------------------------------------------------------------------------------
VAR_DIR = Path(env("KOPDES_VAR_DIR", str(BASE_DIR / "var")))
DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'kopdes.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL", DEFAULT_SQLITE_URL), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and one writer work at once; FULL keeps every commit durable.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-20000; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": env("KOPDES_TEST_SQLITE", "") or None}
else:
    # Django's backend, whose health check needs no round trip (kopdes/core/postgresql/base.py).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "kopdes.core.postgresql"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound by the server, and a statement run twice on a connection prepared there:
    # PostgreSQL then parses and plans it once per connection, not on every request (a checkout's
    # 19 statements cost the server 1.45 ms of CPU instead of 2.7 ms; ADR 14). Off with
    # PG_PREPARED=0 behind a pooler in transaction mode, which cannot keep prepared statements.
    if env("PG_PREPARED", "1") != "0":
        # Added to what the URL's query gives (sslmode=require and the like).
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "kopdes.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_PREFIX", "kopdes"),
        }
    }
    # The queue shares the cache's Redis client and connections (kopdes/core/redis_cache.py).
    RQ_QUEUES = {"default": {"USE_REDIS_CACHE": "default", "DEFAULT_TIMEOUT": 900}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "kopdes",
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Whole pages for visitors (kopdes/core/visitor_cache.py, the catalog) stay in each process's
# memory, also with Redis: their keys hold the versions they depend on (read from the default
# cache or the database), so a worker never serves a page that is out of date, and a hit costs
# no round trip for 30 KB of HTML. About 30 MB at most per worker.
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "kopdes-pages",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
# Tests serve static files from the apps (finders); there is no collected tree to point at.
STATIC_ROOT = None if TESTING else Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "kopdes" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": env("MEDIA_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760

# --- People and access ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kopdes.accounts.backends.PhoneOrEmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "kopdes.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 64}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
if TESTING:
    # Tests create hundreds of accounts; the production hasher would spend minutes on them.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Failed logins are throttled per account *and* address together: Indonesian mobile carriers put
# whole villages behind one carrier-grade NAT address, so an address-only lock would shut out
# everyone there (docs/adr/0003-login-throttling.md).
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "kopdes.accounts.backends.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kopdes.accounts.views.locked_out"
AXES_IPWARE_PROXY_COUNT = int(env("PROXY_COUNT", "0")) or None
AXES_VERBOSE = False

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "kopdes" / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_nik": {"()": "kopdes.core.logging.MaskNikFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_nik"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # a dozen INFO lines per report otherwise
        "fontTools": {"level": "WARNING"},
    },
}

# --- Kopdes -----------------------------------------------------------------------------------
KOPDES_API_TOKEN_DAYS = int(env("KOPDES_API_TOKEN_DAYS", "365"))
# Monthly reports (PDF and Excel) older than this are removed by `manage.py reap_reports`.
KOPDES_REPORT_KEEP_DAYS = int(env("KOPDES_REPORT_KEEP_DAYS", "90"))
KOPDES_PAGE_SIZE = 50
# The monitoring map (django-leaflet's Leaflet, served from our own static files). Its background
# tiles come from MAP_TILES_URL ("https://tiles.example.id/{z}/{x}/{y}.png") credited with
# MAP_TILES_ATTRIBUTION. Empty by default: no tiles, so no request leaves the server; the points,
# the legend and the table still show on a plain background.
MAP_TILES_URL = env("MAP_TILES_URL", "")
LEAFLET_CONFIG = {
    "TILES": (
        [("Peta", MAP_TILES_URL, {"attribution": env("MAP_TILES_ATTRIBUTION", "")})] if MAP_TILES_URL else []
    ),
}
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 200
