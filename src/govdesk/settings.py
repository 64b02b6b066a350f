"""Django settings for govdesk. Every value comes from the environment via ``common.env``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url

from govdesk.common.env import (
    env_bool,
    env_bool_or_none,
    env_float,
    env_int,
    env_list,
    env_str,
    load_dotenv,
)

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
load_dotenv(BASE_DIR / ".env")

VAR_DIR = Path(
    env_str(
        "GOVDESK_VAR_DIR",
        str(BASE_DIR / "var"),
        "Folder for the SQLite database, generated development keys, uploaded and issued files.",
    )
)


def _key_from_env_or_file(name: str, help: str) -> str:
    """A secret from the environment; for development only, a random one kept under var/."""
    value = env_str(name, "", help, secret=True)
    if value:
        return value
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / f"{name.lower()}.dev"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


DEBUG = env_bool("GOVDESK_DEBUG", False, "Django debug mode. Never true in production.")
SECRET_KEY = _key_from_env_or_file(
    "GOVDESK_SECRET_KEY",
    "Django's secret key (sessions, CSRF). If unset, a development key is generated under var/.",
)
AUDIT_KEY = _key_from_env_or_file(
    "GOVDESK_AUDIT_KEY",
    "HMAC key that chains the audit trail. Kept outside the database; losing it makes the trail "
    "unverifiable. If unset, a development key is generated under var/.",
)
# Checkpoints anchor the audit chain outside the database (ADR 12).
AUDIT_CHECKPOINT_KEY = _key_from_env_or_file(
    "GOVDESK_AUDIT_CHECKPOINT_KEY",
    "HMAC key that signs the audit trail's checkpoints. Kept outside the database; only the "
    "hosts that write checkpoints (the task worker) and verify the trail need it. If unset, a "
    "development key is generated under var/.",
)
AUDIT_CHECKPOINT_DIR = Path(
    env_str(
        "GOVDESK_AUDIT_CHECKPOINT_DIR",
        "",
        "Folder of the audit checkpoint files, one append-only JSON-lines file per database. "
        "Empty: audit-checkpoints/ under GOVDESK_VAR_DIR. In production, storage that the "
        "database's administrators cannot rewrite.",
    )
    or VAR_DIR / "audit-checkpoints"
)
AUDIT_CHECKPOINT_EVERY_ROWS = env_int(
    "GOVDESK_AUDIT_CHECKPOINT_EVERY_ROWS",
    1000,
    "Queue an audit checkpoint each time the trail reaches a multiple of this many rows; "
    "0 never does.",
)
AUDIT_CHECKPOINT_MINUTES = env_int(
    "GOVDESK_AUDIT_CHECKPOINT_MINUTES",
    5,
    "Queue an audit checkpoint at the first audit row a server process appends after this many "
    "minutes; 0 never does (then run `govdesk audit checkpoint` from a timer).",
)
ALLOWED_HOSTS = env_list(
    "GOVDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost"], "Host names this server answers to."
)
TRUSTED_PROXIES = env_list(
    "GOVDESK_TRUSTED_PROXIES",
    [],
    "Addresses or networks (10.0.0.0/8) of the load balancers in front of the app servers. "
    "A request from one of them is taken to come from the last address its X-Forwarded-For "
    "names that is not itself such a proxy (rate limits, lock-outs and the audit trail use "
    "it). Empty: the peer address, and X-Forwarded-For is ignored.",
)
CSRF_TRUSTED_ORIGINS = env_list(
    "GOVDESK_CSRF_TRUSTED_ORIGINS", [], "Origins (scheme://host) trusted for CSRF behind a proxy."
)
PUBLIC_BASE_URL = env_str(
    "GOVDESK_PUBLIC_BASE_URL",
    "http://127.0.0.1:8000",
    "Public URL of this site, used in QR codes, verification links and printed URLs.",
)

DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(
        env_str(
            "DATABASE_URL",
            f"sqlite:///{VAR_DIR / 'govdesk.sqlite3'}",
            "Database URL: sqlite:///path or postgres://user@host:5432/name.",
        ),
        conn_max_age=env_int(
            "GOVDESK_DB_CONN_MAX_AGE", 60, "Seconds to keep a database connection open."
        ),
    )
}
_SERVER_SIDE_BINDING = env_bool(
    "GOVDESK_DB_SERVER_SIDE_BINDING",
    True,
    "PostgreSQL: bind parameters on the server, so that psycopg can prepare the statements a "
    "connection repeats (person look-ups, audit appends) and PostgreSQL plans them once.",
)
_PREPARE_THRESHOLD = env_int(
    "GOVDESK_DB_PREPARE_THRESHOLD",
    5,
    "PostgreSQL with server-side binding: prepare a statement once a connection has run it "
    "this many times; 0 never prepares (needed behind a transaction-mode pooler).",
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not memory), so that tests with threads see real locking; one per process, so
    # that several test runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
    if _SERVER_SIDE_BINDING:
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
        if _PREPARE_THRESHOLD > 0:
            DATABASES["default"]["OPTIONS"]["prepare_threshold"] = _PREPARE_THRESHOLD

# A streaming replica for reads that may be a little stale (ADR 15, common/replica.py).
_REPLICA_URL = env_str(
    "GOVDESK_REPLICA_DATABASE_URL",
    "",
    "PostgreSQL streaming replica of DATABASE_URL (postgres://user@host:5442/name), read by the "
    "public catalogue, search, guides and public lists; everything else, and every read after "
    "a write, goes to DATABASE_URL. Empty: no replica, every read goes to DATABASE_URL.",
)
REPLICA_READ_YOUR_WRITES_SECONDS = env_int(
    "GOVDESK_REPLICA_READ_YOUR_WRITES_SECONDS",
    10,
    "With a replica: seconds after a request that wrote during which the same browser reads "
    "only from DATABASE_URL, so that it sees its own change whatever the replica's lag.",
)
DATABASE_ROUTERS: list[str] = []
if _REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        _REPLICA_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    # Tests that configure a replica read the test database through it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["govdesk.common.replica.ReplicaRouter"]

CACHE_URL = env_str(
    "GOVDESK_CACHE_URL", "", "Cache: empty for in-process memory, or redis://127.0.0.1:6379/0."
)
CACHES: dict[str, Any] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

INSTALLED_APPS = [
    "govdesk.audit.adminconfig.AuditedAdminConfig",  # django.contrib.admin, audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    # Ninja's own templates and static files: the API docs page without a CDN or inline script.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",  # before govdesk's apps: its signal handlers run before theirs
    "govdesk.organisations",
    "govdesk.accounts",
    "govdesk.people",
    "govdesk.audit",
    "govdesk.catalog",
    "govdesk.forms",
    "govdesk.applications",
    "govdesk.certificates",
    "govdesk.frictions",
    "govdesk.ratings",
    "govdesk.portal",
    "govdesk.workbench",
    "govdesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # With a replica: which reads may go to it, and "read your writes" (common/replica.py).
    "govdesk.common.replica.ReplicaMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "govdesk.accounts.sessions.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out staff login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "govdesk.urls"
WSGI_APPLICATION = "govdesk.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "workbench:login"
LOGIN_REDIRECT_URL = "workbench:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Staff passwords: django-axes refuses a locked-out client before any password is checked, then
# Django's model backend checks it (and audits the outcome). See accounts/lockout.py.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "govdesk.accounts.backends.AuditedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_MAX_FAILURES = env_int(
    "GOVDESK_LOGIN_MAX_FAILURES",
    5,
    "Wrong passwords for one staff account from one client address before that account is "
    "locked out from that address (other addresses can still sign in to it).",
)
LOGIN_ADDRESS_MAX_FAILURES = env_int(
    "GOVDESK_LOGIN_ADDRESS_MAX_FAILURES",
    20,
    "Wrong staff passwords from one client address, across all user names, before that "
    "address is locked out of staff sign-in.",
)
LOGIN_LOCKOUT_MINUTES = env_int(
    "GOVDESK_LOGIN_LOCKOUT_MINUTES",
    15,
    "Minutes the first staff lock-out lasts; every further wrong password after a lock-out "
    "doubles it, up to GOVDESK_LOGIN_LOCKOUT_MAX_HOURS.",
)
STAFF_SESSION_HOURS = env_int(
    "GOVDESK_STAFF_SESSION_HOURS",
    8,
    "A staff sign-in (workbench and admin) ends this many hours after it began, however busy "
    "the member of staff is.",
)
STAFF_SESSION_IDLE_MINUTES = env_int(
    "GOVDESK_STAFF_SESSION_IDLE_MINUTES",
    30,
    "A staff sign-in ends after this many minutes without a request. Residents' portal "
    "sessions are not affected.",
)
LOGIN_LOCKOUT_MAX_HOURS = env_int(
    "GOVDESK_LOGIN_LOCKOUT_MAX_HOURS", 24, "Hours the longest staff lock-out lasts."
)
LOGIN_FAILURE_MEMORY_HOURS = env_int(
    "GOVDESK_LOGIN_FAILURE_MEMORY_HOURS",
    24,
    "Hours wrong staff passwords are remembered after the last one; a successful sign-in "
    "forgets those of its account from its address at once.",
)
AXES_HANDLER = "govdesk.accounts.lockout.LoginAttempts"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = "govdesk.accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "govdesk.accounts.lockout.memory"
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "govdesk.workbench.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "govdesk.accounts.lockout.client_address"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the audit trail
API_TOKEN_DAYS = env_int("GOVDESK_API_TOKEN_DAYS", 30, "Days an API bearer token stays valid.")
API_TOKEN_CACHE_SECONDS = env_int(
    "GOVDESK_API_TOKEN_CACHE_SECONDS",
    5,
    "Seconds a server process may reuse a bearer token it has checked, so that revoking a "
    "token or deactivating its user takes effect within this time; 0 checks every request.",
)
CATALOGUE_CHECK_SECONDS = env_int(
    "GOVDESK_CATALOGUE_CHECK_SECONDS",
    2,
    "Seconds a server process may use the catalogue (matters, materials, forms, data elements) "
    "it has read before checking whether the data bureau changed it; 0 checks every time.",
)
LIST_COUNT_CACHE_SECONDS = env_int(
    "GOVDESK_LIST_COUNT_CACHE_SECONDS",
    30,
    "Seconds the count of a long list (10,000 applications or more) may be reused before it is "
    "counted again; shorter lists are counted every time their first page is read.",
)
FRICTION_VERIFY_AFTER = env_int(
    "GOVDESK_FRICTION_VERIFY_AFTER",
    3,
    "Occurrences of a rectified problem's context without the stutter (the same search, the "
    "same field in new applications …) after which the platform marks it verified.",
)
FRICTION_DETECT_BATCH = env_int(
    "GOVDESK_FRICTION_DETECT_BATCH",
    10000,
    "Rows of the search log or the application timeline each friction detector reads in one "
    "pass (`govdesk frictions detect`, the worker); what is left is read by the next pass.",
)
FRICTION_DETECT_SECONDS = env_int(
    "GOVDESK_FRICTION_DETECT_SECONDS",
    300,
    "Seconds between two runs of the friction detectors in `govdesk outbox-worker`; 0 turns "
    "the periodic run off (run `govdesk frictions detect` from cron instead).",
)
FRICTION_ABANDONED_MINUTES = env_int(
    "GOVDESK_FRICTION_ABANDONED_MINUTES",
    30,
    "Minutes after a search on the portal with results, none of them opened, at which the "
    "platform counts it as abandoned (a search_abandoned friction).",
)
FRICTION_SLOW_FACTOR = env_float(
    "GOVDESK_FRICTION_SLOW_FACTOR",
    3.0,
    "An application whose acceptance to approval took more than this many times its matter's "
    "median is a slow_step friction.",
)
FRICTION_SLOW_MIN_SAMPLES = env_int(
    "GOVDESK_FRICTION_SLOW_MIN_SAMPLES",
    5,
    "Approved applications of a matter needed before its median time is trusted to call one "
    "of them slow.",
)

WORKDAY_CALENDAR = env_str(
    "GOVDESK_WORKDAY_CALENDAR",
    "",
    "A YAML file of public holidays and weekend days worked (调休) by year, which statutory time "
    "limits and rectification deadlines count working days with; empty: the bundled calendar "
    "(govdesk/applications/data/workdays.yaml).",
)
RATING_INVITE_AFTER_DAYS = env_int(
    "GOVDESK_RATING_INVITE_AFTER_DAYS",
    3,
    "Days after an application is completed without a rating before the resident is invited "
    "to rate it by text message (智能邀评; once per application; `govdesk ratings invite`).",
)
RATING_INVITE_SECONDS = env_int(
    "GOVDESK_RATING_INVITE_SECONDS",
    3600,
    "Seconds between two runs of the rating invitations in `govdesk outbox-worker`; 0 turns the "
    "periodic run off (run `govdesk ratings invite` from cron instead).",
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str(
    "GOVDESK_TIME_ZONE",
    "Asia/Shanghai",
    "The deployment's local time zone (an IANA name). Every date and time people see or print "
    "(screens, forms, certificates, application numbers, deadlines, the 'today' of a form) is "
    "in it; the database and the audit trail keep UTC.",
)
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS: dict[str, Any] = {
    "default": {
        "BACKEND": env_str(
            "GOVDESK_TASKS_BACKEND",
            "django_tasks_db.DatabaseBackend",
            "django-tasks backend; ImmediateBackend runs tasks in-process (tests).",
        )
    }
}

# The outbox (ADR 13): what must follow a commit is a row written in that commit, re-driven by
# `govdesk outbox-worker` (and nudged through django-tasks) until it is done.
OUTBOX_LEASE_SECONDS = env_int(
    "GOVDESK_OUTBOX_LEASE_SECONDS",
    60,
    "Seconds a worker holds a claimed outbox entry (an approval's certificate still to issue); "
    "if the worker dies, another one takes the entry over after this.",
)
OUTBOX_RETRY_SECONDS = env_int(
    "GOVDESK_OUTBOX_RETRY_SECONDS",
    30,
    "Seconds before an outbox entry that failed is tried again; doubles after each attempt.",
)
OUTBOX_RETRY_MAX_SECONDS = env_int(
    "GOVDESK_OUTBOX_RETRY_MAX_SECONDS",
    3600,
    "Longest wait between two attempts of an outbox entry that keeps failing.",
)
OUTBOX_POLL_SECONDS = env_int(
    "GOVDESK_OUTBOX_POLL_SECONDS",
    5,
    "Seconds `govdesk outbox-worker` sleeps when no outbox entry is due.",
)
OUTCOME_OVERDUE_MINUTES = env_int(
    "GOVDESK_OUTCOME_OVERDUE_MINUTES",
    5,
    "Minutes after an approval after which the workbench lists the application if what follows "
    "it (the certificate) has not happened yet, with a button to try again.",
)

# HTTPS. Django's SecurityMiddleware sends Strict-Transport-Security on requests it sees as
# secure: over TLS to this server, or through a proxy it is told to trust (below).
TLS = env_bool(
    "GOVDESK_TLS",
    False,
    "The site is served over HTTPS, by this server or by a reverse proxy in front of it. Turns "
    "on Strict-Transport-Security (HSTS). Behind a proxy, set GOVDESK_BEHIND_TLS_PROXY too, or "
    "no request looks secure and no HSTS header is sent.",
)
_HSTS_SECONDS = env_int(
    "GOVDESK_HSTS_SECONDS",
    31_536_000,
    "With GOVDESK_TLS: how long browsers must reach this site over HTTPS only (HSTS max-age, "
    "seconds; one year by default). Try 300 first when turning TLS on.",
)
SECURE_HSTS_SECONDS = _HSTS_SECONDS if TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "GOVDESK_HSTS_INCLUDE_SUBDOMAINS",
    False,
    "With GOVDESK_TLS: HSTS covers every subdomain too. Only when all of them serve HTTPS.",
)
_SSL_REDIRECT = env_bool(
    "GOVDESK_SSL_REDIRECT",
    False,
    "With GOVDESK_TLS: redirect plain-HTTP requests to HTTPS here (leave off where the proxy "
    "already does it).",
)
SECURE_SSL_REDIRECT = TLS and _SSL_REDIRECT
# The load balancer checks each app server over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
_BEHIND_TLS_PROXY = env_bool(
    "GOVDESK_BEHIND_TLS_PROXY",
    False,
    "A reverse proxy terminates TLS and sets X-Forwarded-Proto (overwriting whatever a client "
    "sent): trust its 'https' to mean the request came over HTTPS. Never without such a proxy, "
    "since a client could then send the header itself.",
)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _BEHIND_TLS_PROXY else None

_SECURE_COOKIES = env_bool_or_none(
    "GOVDESK_SECURE_COOKIES",
    "Send the session, CSRF, language and display-mode cookies over HTTPS only (true or "
    "false). Empty: true, unless GOVDESK_DEBUG is true and GOVDESK_TLS is not. `make demo`, "
    "served over plain HTTP, sets it to false.",
)
SESSION_COOKIE_SECURE = (TLS or not DEBUG) if _SECURE_COOKIES is None else _SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles only from this site's static files,
# so no inline script, event handler attribute or style attribute runs. htmx is configured in
# base.html not to inject its indicator styles nor to evaluate code. The Django admin (5.2)
# needs nothing more; the API docs page uses Ninja's static Swagger UI ("ninja" above).
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
# A form the CSRF check refuses gets the site's page, in plain words (Django's own has an
# inline style the policy above refuses).
CSRF_FAILURE_VIEW = "govdesk.presentation.errorpages.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"

LOG_LEVEL = env_str("GOVDESK_LOG_LEVEL", "WARNING", "Log level (DEBUG, INFO, WARNING).")
# Every handler masks ID and phone numbers (a path, a message, a traceback) before it writes.
# Django's own loggers are routed here too: its default handlers would write them unmasked.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_numbers": {"()": "govdesk.common.logredact.RedactNumbers"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_numbers"]},
        # The development server's request lines, as Django writes them, redacted too.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_numbers"],
        },
    },
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

NINJA_PAGINATION_PER_PAGE = 50

REGISTRY_SOURCE = env_str(
    "GOVDESK_REGISTRY",
    "local",
    "Registry source adapter: 'local' (the embedded registry), an https:// base URL of a "
    "registry service speaking the bulk look-up protocol, or a dotted path to a class. "
    "`govdesk check` reports one that names nothing.",
)
REGISTRY_TOKEN = env_str(
    "GOVDESK_REGISTRY_TOKEN", "", "Bearer token for an HTTP registry source.", secret=True
)
REGISTRY_CONNECT_TIMEOUT = env_float(
    "GOVDESK_REGISTRY_CONNECT_TIMEOUT",
    3.0,
    "HTTP registry source: seconds to wait for the connection (and TLS handshake) to the "
    "registry; then the look-up fails with 'registry unavailable' (HTTP 503).",
)
REGISTRY_READ_TIMEOUT = env_float(
    "GOVDESK_REGISTRY_READ_TIMEOUT",
    10.0,
    "HTTP registry source: seconds to wait for each read of the registry's answer once "
    "connected; then the look-up fails with 'registry unavailable' (HTTP 503).",
)

SMS_GATEWAY = env_str(
    "GOVDESK_SMS_GATEWAY",
    "local",
    "Text message gateway: 'local' (keeps messages in an outbox table and sends nothing; the "
    "demo shows them) or the dotted path of a gateway class. `govdesk check` reports an "
    "unknown one.",
)
IDENTITY_PROVIDER = env_str(
    "GOVDESK_IDENTITY_PROVIDER",
    "local",
    "Resident sign-in: 'local' (a one-time code by text message, through GOVDESK_SMS_GATEWAY, "
    "to the phone the registry holds) or the dotted path of an identity provider class "
    "taking ip=. `govdesk check` reports an unknown one.",
)

DEMO_PASSWORD = env_str(
    "GOVDESK_DEMO_PASSWORD",
    "govdesk-demo-2026",
    "Password `govdesk demo` gives the demo staff accounts (and prints). Demo only.",
    secret=True,
)

# Public portal: resident sign-in codes on screen (demo), elder/accessible modes in templates.
DEMO_SMS_ON_SCREEN = env_bool(
    "GOVDESK_DEMO_SMS_ON_SCREEN",
    False,
    "Show a resident's sign-in code on the sign-in page, read from the local SMS outbox, so the "
    "demo works without a phone. Only this flag turns it on (GOVDESK_DEBUG does not). Never in "
    "production.",
)
RESIDENT_SIGNIN_STARTS_PER_MINUTE = env_int(
    "GOVDESK_RESIDENT_SIGNIN_STARTS_PER_MINUTE",
    5,
    "Resident sign-ins (text messages asked for) one client address may start per minute; "
    "more are refused for the rest of the minute. Shared between server processes only when "
    "GOVDESK_CACHE_URL names Redis.",
)
RESIDENT_SIGNIN_STARTS_PER_HOUR = env_int(
    "GOVDESK_RESIDENT_SIGNIN_STARTS_PER_HOUR",
    20,
    "Resident sign-ins one client address may start per hour.",
)
RESIDENT_SIGNIN_GUESSES_PER_HOUR = env_int(
    "GOVDESK_RESIDENT_SIGNIN_GUESSES_PER_HOUR",
    20,
    "Sign-in codes one client address may enter per hour, over all its sign-ins (each code "
    "also allows only 5 attempts).",
)
RESIDENT_SESSION_IDLE_MINUTES = env_int(
    "GOVDESK_RESIDENT_SESSION_IDLE_MINUTES",
    15,
    "Minutes without a request after which a signed-in resident is signed out; signing in "
    "again returns to the page they were on.",
)
RESIDENT_SESSION_MAX_HOURS = env_int(
    "GOVDESK_RESIDENT_SESSION_MAX_HOURS",
    12,
    "Hours after signing in after which a resident is signed out however active they are.",
)
_TEMPLATE_OPTIONS = TEMPLATES[0]["OPTIONS"]
if isinstance(_TEMPLATE_OPTIONS, dict):
    _TEMPLATE_OPTIONS["context_processors"].append("govdesk.portal.context_processors.portal")

# Certificates: signing keys live in files outside the database, encrypted with a passphrase.
PKI_DIR = Path(
    env_str(
        "GOVDESK_PKI_DIR",
        "",
        "Folder of the certificate authority and each issuing organisation's signing key and "
        "certificate (PEM; private keys encrypted with GOVDESK_SIGNING_KEY_PASSPHRASE). "
        "`govdesk demo-pki` creates a demo CA there. Empty: pki/ under GOVDESK_VAR_DIR.",
    )
    or VAR_DIR / "pki"
)
# Files uploaded for applications (photos and PDFs of materials): outside the database, under
# random names, read only through the application's access check (applications/uploads.py).
DATA_DIR = Path(
    env_str(
        "GOVDESK_DATA_DIR",
        "",
        "Folder of the files residents and staff upload as materials of applications (photos "
        "and PDFs), kept outside the database under random names and served only to those who "
        "may see the application. Empty: data/ under GOVDESK_VAR_DIR. Back it up with the "
        "database; only the application servers need to read and write it.",
    )
    or VAR_DIR / "data"
)
UPLOAD_MAX_BYTES = env_int(
    "GOVDESK_UPLOAD_MAX_BYTES",
    10 * 1024 * 1024,
    "Largest file accepted as an uploaded material, in bytes (a JPEG or PNG photo or a PDF; "
    "the type is checked from the file's content). Larger files are refused with a message.",
)
SIGNING_KEY_PASSPHRASE = _key_from_env_or_file(
    "GOVDESK_SIGNING_KEY_PASSPHRASE",
    "Passphrase that encrypts the signing keys in GOVDESK_PKI_DIR. If unset, a development "
    "passphrase is generated under var/.",
)
VERIFY_RATE_PER_MINUTE = env_int(
    "GOVDESK_VERIFY_RATE_PER_MINUTE",
    30,
    "Certificate verifications (page, upload and API) allowed per client IP per minute; "
    "more get HTTP 429.",
)
