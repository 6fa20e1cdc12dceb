"""One settings module for every environment, driven by environment variables.

Check out, install requirements, migrate and run: with no variables set this is a local
development site on SQLite. Production sets DEBUG=0, SECRET_KEY and DATABASE_URL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only ever used for a local development site; production refuses to start without one.
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "simple_history",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "evidence",
]

MIDDLEWARE = [
    # Outermost, so that its one line per request sees the final status, whatever answered.
    "evidence.request_log.RequestLog",
    # Before anything reads the path or the query (sessions, admin filters, views): a NUL there is a 500 on PostgreSQL.
    "evidence.request_input.RefuseControlCharacters",
    # Around everything that reads or writes the database (sessions included): which reads may go to a replica.
    "evidence.routing.ReadFromReplicas",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it counts failed logins and locks out further attempts.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login attempts are rate-limited: after AXES_FAILURE_LIMIT failures for one username from one address,
# that pair is locked out for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

ROOT_URLCONF = "evidence.urls"
WSGI_APPLICATION = "evidence.wsgi.application"

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
                "django.template.context_processors.csp",
                "evidence.context_processors.bibliography",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on during a write, and IMMEDIATE takes the write lock up front:
    # measured here, the default journal gave "database is locked" on 231 of 320 concurrent writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }

# Read replicas (docs/deployment.md): DATABASE_REPLICA_URLS, comma-separated, adds one alias per replica;
# evidence.routing sends reads there and writes, and the reads of a session that has just written, to default.
DATABASE_REPLICAS = []
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS", ""), start=1):
    replica = dj_database_url.parse(url, conn_max_age=env_int("CONN_MAX_AGE", 0), conn_health_checks=True)
    if replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS must name databases of the same kind as DATABASE_URL.")
    # A replica that does not answer within this many seconds is taken as down (psycopg's connect_timeout).
    replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("REPLICA_CONNECT_TIMEOUT", 2))
    # A replica is read-only, so the test runner must not create a test database there: as a test mirror it
    # makes none (tests/conftest.py then points the alias at the replica's own copy of the test database).
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{number}"] = replica
    DATABASE_REPLICAS.append(f"replica_{number}")
if DATABASE_REPLICAS:
    DATABASE_ROUTERS = ["evidence.routing.PrimaryReplicaRouter"]
# After a request that wrote, the same browser reads from the primary for this long (a cookie), so it never
# sees a replica that has not caught up with its own write.
REPLICA_STICKY_SECONDS = env_int("REPLICA_STICKY_SECONDS", 5)
# A replica found down is left alone for this long before it is tried again; reads go to the primary meanwhile.
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 5)

# The cache: Redis, shared by every worker and every box, where REDIS_URL is set; otherwise memory inside
# each process, which needs nothing installed. When Redis is down pages are served uncached (evidence/cache.py).
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "evidence")
# The deployed release (a commit id, say): in every key, so that a new release never serves pages (or pickled
# figures) cached by the one before it.
RELEASE = os.environ.get("RELEASE", "")
REDIS_RETRY_SECONDS = env_int("REDIS_RETRY_SECONDS", 5)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:{RELEASE}" if RELEASE else CACHE_KEY_PREFIX,
        "TIMEOUT": env_int("CACHE_TIMEOUT_SECONDS", 3600),
    }
}
if os.environ.get("REDIS_URL"):
    CACHES["default"].update(
        BACKEND="evidence.cache.TolerantRedisCache",
        LOCATION=os.environ["REDIS_URL"],
        # A Redis that does not answer within half a second is taken as down, not waited for.
        OPTIONS={"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Links found in text (a provenance note, an abstract) are https unless they say otherwise.
URLIZE_ASSUME_HTTPS = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Where the curated source data lives (read only by build_demo_fixtures and the provenance tests).
SHARED_DATA_DIR = Path(os.environ.get("SHARED_DATA_DIR", BASE_DIR.parent / "shared" / "data"))

# Every asset is served by the project itself, so the policy allows nothing from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"

# The admin's address: moving it off /admin/ keeps most password-guessing bots away.
ADMIN_PATH = os.environ.get("ADMIN_PATH", "admin/").strip("/") + "/"

# Production (DEBUG=0): HTTPS only, secure cookies, HSTS. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=1 so Django trusts its X-Forwarded-Proto header.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("SECURE_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# Logging: JSON lines on stderr, one per request (see docs/operations.md). LOG_LEVEL=WARNING keeps only the
# 4xx and 5xx; by default a development site logs just those, production every request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "formatters": {"json": {"()": "evidence.request_log.JsonLines"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json"},
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "filters": ["require_debug_false"]},
    },
    "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "WARNING" if DEBUG else "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # The request's own line (evidence.requests) carries its traceback; this logger only mails it.
        "django.request": {"handlers": ["mail_admins"], "level": "ERROR", "propagate": False},
    },
}
# Server errors are mailed to ADMINS (comma-separated addresses) when it and an SMTP server are set.
ADMINS = env_list("ADMINS", "")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", "root@localhost")
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
        },
    }
}

LOGIN_URL = "admin:login"
# Where a login goes when its ?next= is missing or points off the site (Django's default is a 404 here).
LOGIN_REDIRECT_URL = "admin:index"

# Draft sources (included at screening, not yet checked by a curator) on public pages: "mark" shows them
# labelled "draft", "hide" leaves them out of lists, pages and downloads until they are reviewed. Screening
# candidates and excluded records are never public, whatever this says.
PUBLIC_DRAFTS = os.environ.get("PUBLIC_DRAFTS", "mark")
if PUBLIC_DRAFTS not in ("mark", "hide"):
    raise ImproperlyConfigured(f"PUBLIC_DRAFTS must be mark or hide, not {PUBLIC_DRAFTS!r}.")

# The largest bibliography a curator may upload; the import preview carries the file (base64, 4/3 of its
# size) back with its commit, so a request may be that much larger.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES * 3 // 2 + 1024 * 1024
# The most entries one import may hold (the benchmark imports 10,000): planning and the one transaction
# that writes them grow with it.
IMPORT_MAX_ENTRIES = env_int("IMPORT_MAX_ENTRIES", 20_000)

# The JSON API under /api/v1/ (docs/api.md). Reads are public, like the pages; writes take a curator's
# token (made and revoked in the admin) and the same model permissions as the admin.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "evidence.api.pagination.OpaqueCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "evidence.api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Representations are chosen by Accept only: no ?format= that could ask a bibliography writer for JSON data.
    "URL_FORMAT_OVERRIDE": None,
}
# Anonymous callers of POST /api/v1/check/ (a DRF rate: "30/minute", "1000/day").
API_CHECK_ANON_RATE = os.environ.get("API_CHECK_ANON_RATE", "30/minute")
# The longest text /api/v1/check/ takes, in characters; longer gets 413.
API_CHECK_MAX_CHARACTERS = env_int("API_CHECK_MAX_CHARACTERS", 50_000)
SPECTACULAR_SETTINGS = {
    "TITLE": "Kratom evidence base API",
    "DESCRIPTION": "Sources, claims, evidence links, adverse-effect reports and article reviews. See docs/api.md.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets used by more than one field get one name (judged and computed GRADE judgments; certainty).
    "ENUM_NAME_OVERRIDES": {
        "DomainJudgmentEnum": "evidence.api.serializers.JUDGMENTS",
        "CertaintyEnum": "evidence.grade.CERTAINTY",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "evidence.api.problems.document_problems",
    ],
}

# Screening (docs/curation.md). Dual screening: two curators decide each record independently and
# disagreements go to a conflicts list. The queue's ranking model is retrained every N decisions.
SCREENING_DUAL = env_bool("SCREENING_DUAL", False)
SCREENING_RETRAIN_EVERY = env_int("SCREENING_RETRAIN_EVERY", 10)

# Adding a record by DOI or PMID: where the metadata is fetched from, how long to wait, and who is asking
# (Crossref and NCBI ask for a contact address in the User-Agent).
DOI_RESOLVER_URL = os.environ.get("DOI_RESOLVER_URL", "https://doi.org/")
PUBMED_EFETCH_URL = os.environ.get("PUBMED_EFETCH_URL", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi")
LOOKUP_TIMEOUT_SECONDS = env_int("LOOKUP_TIMEOUT_SECONDS", 10)
LOOKUP_CONTACT = os.environ.get("LOOKUP_CONTACT", "curators@example.org")
