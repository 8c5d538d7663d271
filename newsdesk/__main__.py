"""The ``newsdesk`` command: the project's manage.py, installed on the PATH by uv."""

import os
import sys


def main() -> None:
    """Run a newsdesk management command (``newsdesk help`` lists them)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
