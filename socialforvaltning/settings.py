"""Settings for the Socialforvaltningen registry, read from the environment.

Defaults make a fresh clone run (SQLite in the project folder, debug on). Production sets
DJANGO_DEBUG=false and must then provide DJANGO_SECRET_KEY. Every variable is listed in
.env.example.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}")
    return int(value)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_date(name: str) -> datetime.date | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a date, YYYY-MM-DD, not {value!r}") from None


def database_from_url(url: str) -> dict:
    """Translate DATABASE_URL (sqlite:///path or postgres://user:pw@host:port/name)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute/path.db
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        if not path:
            raise ImproperlyConfigured("DATABASE_URL for SQLite needs a file name")
        name = path if Path(path).is_absolute() else str(BASE_DIR / path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # A transaction that will write takes SQLite's write lock when it begins, and a
            # second writer waits for it (up to 20 s) instead of failing at its first write.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL for PostgreSQL needs a database name")
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        # No JIT compilation: the registry's queries are short reads whose estimates can be
        # large (a union over the history tables), and compiling them took longer than
        # running them (measured in the closing note of issue 16). `?options=` overrides.
        options.setdefault("options", "-c jit=off")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_URL has a malformed port: {url!r}") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": env_int("DJANGO_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with sqlite:/// or postgres://, not {parts.scheme or url!r}"
    )


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-local-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is empty: every request would be refused")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "mptt",
    "simple_history",
    "django_filters",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "socialforvaltning",
    "orgunits",
    "history",
    "responsibilities",
]

MIDDLEWARE = [
    "socialforvaltning.middleware.NoCycleCollectionDuringRequestMiddleware",
    "socialforvaltning.middleware.RequestLogMiddleware",
    "socialforvaltning.middleware.HeadMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "socialforvaltning.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before everything that only a page being built needs: a cached page skips it.
    "socialforvaltning.middleware.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "socialforvaltning.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "socialforvaltning.middleware.LoginRequiredMiddleware",
    "socialforvaltning.middleware.BadRequestMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Failed admin logins are throttled: after AXES_FAILURE_LIMIT failures from one
    # username and address, further attempts are refused for AXES_COOLOFF_TIME.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("REGISTRY_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("REGISTRY_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "socialforvaltning.errors.locked_out"
CSRF_FAILURE_VIEW = "socialforvaltning.errors.csrf_failure"

ROOT_URLCONF = "socialforvaltning.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "socialforvaltning.asof.as_of",
            ],
            "libraries": {"as_of": "socialforvaltning.templatetags.as_of"},
        },
    },
]

WSGI_APPLICATION = "socialforvaltning.wsgi.application"

DATABASES = {
    "default": database_from_url(os.environ.get("DATABASE_URL", "sqlite:///db.sqlite3")),
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Dansk")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / (os.environ.get("DJANGO_STATIC_ROOT") or "staticfiles")  # or absolute
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # debug serves the files straight from the app folders
# Production serves compressed files with content hashes in their names (cache-busting, so
# that WhiteNoise lets browsers keep them for a year), which `collectstatic` builds: `make
# serve` runs it before gunicorn starts. Debug serves the plain files.
STATIC_MANIFEST = env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}


# Rendered pages are cached under the registry's data version (see socialforvaltning/version.py):
# per process by default, bounded by REGISTRY_CACHE_MAX_MB; REGISTRY_CACHE_URL=redis://…
# shares one cache between servers (bound it with Redis's own maxmemory; `make serve` starts
# one so). Either may lose entries at any time: see socialforvaltning/cache.py.
def check_cache_url(url: str) -> None:
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(
            "REGISTRY_CACHE_URL must start with redis://, rediss:// or unix://"
        )
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ImproperlyConfigured(f"REGISTRY_CACHE_URL has a malformed port: {url!r}") from None


check_cache_url(os.environ.get("REGISTRY_CACHE_URL", ""))
CACHES = {
    "default": (
        {
            "BACKEND": "socialforvaltning.cache.ResilientRedisCache",
            "LOCATION": os.environ["REGISTRY_CACHE_URL"],
        }
        if os.environ.get("REGISTRY_CACHE_URL")
        else {
            "BACKEND": "socialforvaltning.cache.BoundedLocMemCache",
            "OPTIONS": {"MAX_BYTES": env_int("REGISTRY_CACHE_MAX_MB", 64) * 2**20},
        }
    )
}

# Long work (EAC-CPF imports, the zip of every record) runs in the background worker,
# `manage.py db_worker`, which `make run` and `make serve` start beside the web server. The
# queue is a table in the registry's database (see orgunits/exports/eaccpf/jobs.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Files the web server and the worker hand each other (uploads to import, built zips): a
# folder both can reach. A relative path is taken from the project folder.
MEDIA_ROOT = BASE_DIR / os.environ.get("REGISTRY_FILES_DIR", "files")
MEDIA_URL = "/files/"  # never served: files leave through views that check what they serve

# Security. Production (debug off) is secure by default; TLS is expected to end at a load
# balancer that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# The public pages are readable without login unless REGISTRY_PUBLIC=false.
REGISTRY_PUBLIC = env_bool("REGISTRY_PUBLIC", True)

# OAI-PMH (/oai): the namespace of its identifiers (oai:<this>:unit/<slug>), fixed once
# harvesters hold them, and who answers for it (else the administrators' addresses).
REGISTRY_OAI_REPOSITORY_IDENTIFIER = os.environ.get(
    "REGISTRY_OAI_REPOSITORY_IDENTIFIER", "socialforvaltning.kk.dk"
)
REGISTRY_OAI_ADMIN_EMAIL = os.environ.get("REGISTRY_OAI_ADMIN_EMAIL", "")
LOGIN_URL = "/admin/login/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "socialforvaltning.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {
        # Every registry.* logger (the API's errors, the admin, the cache's outages, the
        # worker's jobs) writes JSON lines; the request log has a level of its own.
        "registry": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "registry.request": {
            "handlers": ["console"],
            "level": os.environ.get(
                "REGISTRY_REQUEST_LOG_LEVEL", "INFO" if not DEBUG else "WARNING"
            ),
            "propagate": False,
        },
        "django": {"handlers": ["console"], "level": "WARNING"},
        "django_tasks": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# How far the registry's knowledge reaches: on a later date the pages say that what they show
# is the organisation as last recorded. Empty: the date of the latest reorganisation in force.
REGISTRY_RECORDED_UP_TO = env_date("REGISTRY_RECORDED_UP_TO")

# Absolute URLs in exports (JSON-LD @id). Empty: taken from the request.
REGISTRY_BASE_URL = os.environ.get("REGISTRY_BASE_URL", "").rstrip("/")

# The official EAC-CPF schemas the exports are validated against (and imports checked with).
# Both are in the repository (their READMEs say where they come from); a relative path in
# the environment is taken from the project folder.
EAC_CPF_SCHEMAS_DIR = BASE_DIR / os.environ.get(
    "EAC_CPF_SCHEMAS_DIR", "orgunits/exports/eaccpf/xsd"
)

# Where the source documents the seed data cites are kept (checked by the tests).
SEED_SOURCES_DIR = BASE_DIR / os.environ.get("SEED_SOURCES_DIR", "fixtures/sources")
