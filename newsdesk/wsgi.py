"""WSGI entry point: the output folder first, the Django application behind it."""

import os

from django.core.wsgi import get_wsgi_application

from newsdesk.publishing.server import OutputFolderApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings.dev")

application = OutputFolderApp(get_wsgi_application())
