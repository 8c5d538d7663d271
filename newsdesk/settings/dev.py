"""The embedded default: one machine, no environment variables needed."""

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = True
# A fixed key is fine for a developer's own machine; prod.py refuses to start without one.
SECRET_KEY = SECRET_KEY or "newsdesk-dev-insecure-key-do-not-use-in-production"
