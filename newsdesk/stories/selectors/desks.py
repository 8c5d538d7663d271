"""Named reads of desks: which desk a piece of work belongs to."""

from __future__ import annotations

from ..models import Desk


def desk_for(*, language: str, kind: str) -> Desk | None:
    """Return the desk that handles stories of this language and kind, if any: the
    one naming both most closely, then the first in the desks' order."""
    desks = [d for d in Desk.objects.all() if d.takes(language=language, kind=kind)]
    if not desks:
        return None
    return max(desks, key=lambda d: (d.specificity, -d.order, -d.pk))


def desk_list() -> list[Desk]:
    """Return the desks in their order."""
    return list(Desk.objects.order_by("order", "name"))
