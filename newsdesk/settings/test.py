"""Settings for the test suite: in-memory SQLite unless DATABASE_URL names another."""

import os

from .base import *  # noqa: F403
from .base import _database

SECRET_KEY = "newsdesk-test-key"  # noqa: S105
DEBUG = False
if not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": _database("sqlite://:memory:")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run at once in tests; the worker process is covered by its own tests.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Tests never run collectstatic; look files up per request instead of scanning at start.
WHITENOISE_AUTOREFRESH = True
# Most tests follow a submission from a writer the agency knows; the tests of the
# new-writer confirmation (tests/contributions/test_confirmation.py) turn it on.
NEWSDESK_CONFIRM_NEW_WRITERS = False
# Most tests sign in with force_login and no second factor; the two-factor tests
# (tests/accounts/test_two_factor.py) turn it on.
NEWSDESK_TWO_FACTOR_REQUIRED = False
