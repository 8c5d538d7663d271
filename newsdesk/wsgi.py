"""WSGI entry point: the output folder first, the Django application behind it."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings.dev")

application = get_wsgi_application()
