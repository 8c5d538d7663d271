"""Settings shared by every environment; everything is read from the environment here.

``dev``, ``test`` and ``prod`` change a few values and add nothing new. A fresh
checkout runs with no environment variables at all: SQLite in ``var/``, a local
memory cache, console email and a database-backed task queue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from .env import env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# --- where things live -----------------------------------------------------------
DATA_DIR = env_path("NEWSDESK_DATA_DIR", BASE_DIR / "var", base=BASE_DIR)
NEWSDESK_OUTPUT_DIR = env_path("NEWSDESK_OUTPUT_DIR", DATA_DIR / "site", base=BASE_DIR)
NEWSDESK_MAIL_DIR = env_path("NEWSDESK_MAIL_DIR", DATA_DIR / "mail", base=BASE_DIR)
MEDIA_ROOT = env_path("NEWSDESK_MEDIA_DIR", DATA_DIR / "media", base=BASE_DIR)
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
STATIC_URL = "/static/"

# --- the services `newsdesk start` runs ------------------------------------------
NEWSDESK_HTTP_HOST = env_str("NEWSDESK_HTTP_HOST", "127.0.0.1")
NEWSDESK_HTTP_PORT = env_int("NEWSDESK_HTTP_PORT", 8000, minimum=1, maximum=65535)
NEWSDESK_SMTP_HOST = env_str("NEWSDESK_SMTP_HOST", "127.0.0.1")
NEWSDESK_SMTP_PORT = env_int("NEWSDESK_SMTP_PORT", 2525, minimum=1, maximum=65535)
# Largest message the receiver accepts, in bytes (25 MB); bigger ones get a 552.
NEWSDESK_MAIL_MAX_BYTES = env_int(
    "NEWSDESK_MAIL_MAX_BYTES", 25 * 1000 * 1000, minimum=1024
)
# The address contributors write to; shown on the site and in replies.
NEWSDESK_SUBMISSIONS_ADDRESS = env_str(
    "NEWSDESK_SUBMISSIONS_ADDRESS", "stories@newsdesk.localhost"
)

# --- the public site ---------------------------------------------------------------
# The name the agency's front mail server gives itself in Authentication-Results
# headers (SPF, DKIM, DMARC); empty: no server checks senders, nothing is believed.
NEWSDESK_TRUSTED_AUTHSERV_ID = env_str("NEWSDESK_TRUSTED_AUTHSERV_ID", "")
# A hosted mailbox contributors write to, read every minute by the worker:
# imaps://user:password@host/INBOX (empty: no mailbox, only the mail receiver).
NEWSDESK_INGEST_MAILBOX_URL = env_str("NEWSDESK_INGEST_MAILBOX_URL", "")
# A writer the agency does not know yet confirms their address with one click before
# their first submission reaches the editors; unconfirmed ones expire after so many
# days (the message itself is kept).
NEWSDESK_CONFIRM_NEW_WRITERS = env_bool("NEWSDESK_CONFIRM_NEW_WRITERS", True)
NEWSDESK_CONFIRM_DAYS = env_int("NEWSDESK_CONFIRM_DAYS", 7, minimum=1)
# The contributor terms writers agree to when they confirm (on the contribute page by
# default); change the version when the terms change, and writers are asked again.
NEWSDESK_CONTRIBUTOR_TERMS_URL = env_str(
    "NEWSDESK_CONTRIBUTOR_TERMS_URL", "/contribute/"
)
NEWSDESK_CONTRIBUTOR_TERMS_VERSION = env_str("NEWSDESK_CONTRIBUTOR_TERMS_VERSION", "1")
NEWSDESK_SITE_NAME = env_str("NEWSDESK_SITE_NAME", "Newsdesk")
NEWSDESK_SITE_URL = env_str(
    "NEWSDESK_SITE_URL", f"http://127.0.0.1:{NEWSDESK_HTTP_PORT}"
).rstrip("/")
NEWSDESK_SITE_LANGUAGE = env_str("NEWSDESK_SITE_LANGUAGE", "en")
NEWSDESK_TIME_ZONE = env_str("NEWSDESK_TIME_ZONE", "UTC")
# Stories on a section front and on each numbered archive page.
NEWSDESK_FRONT_SIZE = env_int("NEWSDESK_FRONT_SIZE", 20, minimum=1)
NEWSDESK_ARCHIVE_PAGE_SIZE = env_int("NEWSDESK_ARCHIVE_PAGE_SIZE", 50, minimum=1)
NEWSDESK_FEED_SIZE = env_int("NEWSDESK_FEED_SIZE", 50, minimum=1)
# What partners are told they may do with the copy (in every item they get).
NEWSDESK_SYNDICATION_USAGE_TERMS = env_str(
    "NEWSDESK_SYNDICATION_USAGE_TERMS",
    "For use by subscribing partners under their agreement with the agency.",
)
# Changes partners pull wait this long, so a cursor never skips one committed late.
NEWSDESK_SYNDICATION_SETTLE_SECONDS = env_int(
    "NEWSDESK_SYNDICATION_SETTLE_SECONDS", 2, minimum=0
)
# Changes pushed to partners' webhooks: how long a partner may take to answer, and
# how many tries (30 s, 2 min, 10 min, 1 h, 6 h, then 24 h apart) before giving up.
NEWSDESK_WEBHOOK_TIMEOUT_SECONDS = env_int(
    "NEWSDESK_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120
)
NEWSDESK_WEBHOOK_MAX_ATTEMPTS = env_int("NEWSDESK_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
# The read API (/api/v1/): how many requests one client address may make a minute.
NEWSDESK_API_REQUESTS_PER_MINUTE = env_int(
    "NEWSDESK_API_REQUESTS_PER_MINUTE", 600, minimum=1
)

# --- Django --------------------------------------------------------------------------
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "newsdesk.core",
    "newsdesk.accounts",
    "newsdesk.stories",
    "newsdesk.contributions",
    "newsdesk.publishing",
    "newsdesk.search",
    "newsdesk.syndication",
    "ninja",  # the read API's documentation page and its scripts
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "newsdesk.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "newsdesk.urls"
WSGI_APPLICATION = "newsdesk.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "wagtailadmin_login"
# The newsroom's sign-in form: Wagtail's, refusing to try passwords while an account
# or a network is locked out after repeated failures.
WAGTAILADMIN_USER_LOGIN_FORM = "newsdesk.accounts.sign_in.NewsroomLoginForm"
# Editors and administrators sign in with a code from an authenticator app too; the
# groups named here may choose not to (reporters writing drafts).
# Front servers whose X-Forwarded-For names the client (nginx on this host; the
# built-in server reaches the app over a Unix socket, with no address at all).
NEWSDESK_TRUSTED_PROXIES = env_list("NEWSDESK_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
NEWSDESK_TWO_FACTOR_REQUIRED = env_bool("NEWSDESK_TWO_FACTOR_REQUIRED", True)
NEWSDESK_TWO_FACTOR_EXEMPT_GROUPS = env_list(
    "NEWSDESK_TWO_FACTOR_EXEMPT_GROUPS", ["Reporters"]
)
OTP_TOTP_ISSUER = NEWSDESK_SITE_NAME
# A newsroom session ends after this many hours (at once when the browser closes,
# unless "Remember me" was ticked).
SESSION_COOKIE_AGE = env_int("NEWSDESK_SESSION_HOURS", 12, minimum=1) * 3600

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "newsdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work while one writer commits; IMMEDIATE takes the write
        # lock at BEGIN so the web server, mail receiver and worker queue politely
        # instead of failing with "database is locked" halfway through.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'newsdesk.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsdesk",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Jobs the worker runs at start and then every so many seconds: (dotted path, seconds).
# The review a story of these kinds goes through, by the workflow's name, unless an
# administrator assigned a workflow to its section itself (Settings -> Workflows).
OPINION_REVIEW = "Opinion review: desk, then chief editor"
NEWSDESK_REVIEW_BY_KIND = {"opinion": OPINION_REVIEW, "editorial": OPINION_REVIEW}

NEWSDESK_PERIODIC_JOBS = [
    # Publish and unpublish what editors scheduled (Wagtail's go-live and expiry
    # times), catching up on any time missed while the worker was down.
    ("newsdesk.stories.scheduling.scheduled_publishing_run", 30.0),
    # Read any stored message that has no submission yet (after a crash, or a failure).
    ("newsdesk.contributions.services.raw_messages_parse_pending", 300.0),
    # Drop stories older than two days from the Google News sitemap on quiet days.
    ("newsdesk.publishing.sitemaps.news_sitemap_refresh", 3600.0),
    # Fetch new mail from the hosted mailbox, if one is configured.
    ("newsdesk.contributions.mailbox.mailbox_poll_configured", 60.0),
    # Tell the editors by email what reached the queue in the last hour.
    ("newsdesk.contributions.services.submissions_digest_send", 3600.0),
    # Give up on submissions whose new writer never confirmed their address.
    ("newsdesk.contributions.services.submissions_expire_unconfirmed", 3600.0),
    # Fingerprint published stories that have none yet (an imported archive), in
    # batches, so submissions repeating them are recognised.
    ("newsdesk.contributions.duplicates.story_fingerprints_backfill", 60.0),
    # Keep the query planner's table statistics fresh as the archive grows.
    ("newsdesk.core.database.planner_statistics_refresh", 86400.0),
    # Push each change to the webhooks of the partners who may see it, and try
    # again later the ones that failed.
    ("newsdesk.syndication.webhooks.webhook_deliveries_run", 10.0),
]

EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", NEWSDESK_SUBMISSIONS_ADDRESS)

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = NEWSDESK_TIME_ZONE
USE_I18N = True
USE_TZ = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Wagtail: its admin is the newsroom ------------------------------------------------
WAGTAIL_SITE_NAME = f"{NEWSDESK_SITE_NAME} newsroom"
WAGTAILADMIN_BASE_URL = NEWSDESK_SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = [
    "csv",
    "docx",
    "key",
    "odt",
    "pdf",
    "pptx",
    "rtf",
    "txt",
    "xlsx",
    "zip",
]
WAGTAIL_I18N_ENABLED = False
# A finished review publishes, unless the story fails the checks before publishing.
WAGTAIL_FINISH_WORKFLOW_ACTION = (
    "newsdesk.stories.workflow_finish.story_workflow_finish"
)
# The reader site's renditions are written into its images/ folder; the newsroom's
# and the originals stay in MEDIA_ROOT (see newsdesk/publishing/storage.py).
WAGTAILIMAGES_RENDITION_STORAGE = "newsdesk.publishing.storage.RenditionStorage"
# Photos from phones carry 20-50 megapixels; a decompression bomb far more.
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 60_000_000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "newsdesk": {
            "handlers": ["console"],
            "level": env_str("NEWSDESK_LOG_LEVEL", "INFO"),
        },
        "django_tasks_db": {"handlers": ["console"], "level": "WARNING"},
    },
}
