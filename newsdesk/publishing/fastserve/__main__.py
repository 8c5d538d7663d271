"""Run the built-in web server: ``python -m newsdesk.publishing.fastserve --help``."""

import sys

from .processes import main

sys.exit(main())
