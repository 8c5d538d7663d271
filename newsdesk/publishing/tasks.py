"""Background work for the reader site, run by the worker (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def rebuild_site() -> int:
    """Rebuild the whole reader site (after a change every page shows)."""
    from .services import site_rebuild

    return site_rebuild()
