"""The built-in web server: reader files from memory, everything else from Django.

``newsdesk start`` runs this server on ``NEWSDESK_HTTP_PORT`` and the Django
application (granian with ``newsdesk.wsgi``) on a private Unix socket behind it, so
an operator sees one port. A request to read a file of the output folder is
answered here, from the answers ``server_cache`` keeps in memory while the folder
does not change; every other request (the newsroom, search, the hit beacon, forms,
static files, redirects, missing pages and the 404 page, other methods) is passed to
the application unchanged and its answer passed back, as nginx does in production.
Both sides find and describe files with the same code, so a reader gets the same
bytes and headers from either.

Python's event loop (uvloop where installed) does the network work, one process per
core, each with its own listening socket on the port (``SO_REUSEPORT``: the kernel
spreads connections between them); requests are parsed by ``httptools`` (llhttp, the
parser of Node.js). A request answered from memory costs about as much processor
time as nginx spends on it: measured on the 2-core development machine with
``bench/serve_static.py``, a story page at 0.8 to 0.95 of nginx's rate, where
granian's WSGI interface reading the file for each request reached 0.12 to 0.16.
"""

from .connection import Connection, Site
from .processes import main, serve, web_server_commands
from .proxy import Proxy

__all__ = ["Connection", "Proxy", "Site", "main", "serve", "web_server_commands"]
