"""Named reads of desks and review: which desk a piece of work belongs to, and who
may publish it."""

from __future__ import annotations

from typing import Any

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


def review_refusal(*, page: Any, user: Any) -> str:
    """Return why this user may not publish the page directly, or "".

    A page whose review workflow has several steps is published by approving its
    last one; only those who may approve that step (or administrators) may publish
    it directly.
    """
    if getattr(user, "is_superuser", False):
        return ""
    workflow = page.get_workflow()
    if workflow is None:
        return ""
    tasks = list(
        workflow.tasks.filter(active=True).order_by("workflow_tasks__sort_order")
    )
    if len(tasks) < 2:
        return ""
    last = tasks[-1].specific
    groups = getattr(last, "groups", None)
    if groups is not None and groups.filter(pk__in=user.groups.all()).exists():
        return ""
    steps = ", then ".join(task.name.lower() for task in tasks)
    return (
        f"This story needs {len(tasks)} approvals ({steps}) before it is published: "
        "submit it for review instead."
    )
