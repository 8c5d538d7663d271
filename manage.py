#!/usr/bin/env python
"""Django's command-line utility; ``newsdesk`` is the same command installed on the PATH."""

from newsdesk.__main__ import main

if __name__ == "__main__":
    main()
