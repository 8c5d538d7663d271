"""Named reads of desks and review: which desk a piece of work belongs to, and who
may publish it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..models import Desk


def _closest(desks: Iterable[Desk], *, language: str, kind: str) -> Desk | None:
    taking = [d for d in desks if d.takes(language=language, kind=kind)]
    if not taking:
        return None
    return max(taking, key=lambda d: (d.specificity, -d.order, -d.pk))


def desk_for(*, language: str, kind: str) -> Desk | None:
    """Return the desk that handles stories of this language and kind, if any: the
    one naming both most closely, then the first in the desks' order."""
    return _closest(Desk.objects.all(), language=language, kind=kind)


def desk_allows(*, user: Any, page: Any) -> bool:
    """Say whether this user may edit, approve and publish this story as one of
    its desk's editors.

    Administrators and those allowed every desk (chief editors) may; others only
    stories falling to a desk they work on. A story no desk takes, or whose desk
    has nobody on it, is open to every editor, so nothing waits on an empty desk.
    """
    if not getattr(user, "is_active", False):
        return False
    if user.is_superuser or user.has_perm("stories.work_on_every_desk"):
        return True
    story = getattr(page, "specific", page)
    language, kind = getattr(story, "language", None), getattr(story, "kind", None)
    if language is None or kind is None:
        return True  # not a story: sections and pages about the agency
    # Read once per user object (a request's): a page listing asks for each row.
    desks: list[Desk] | None = getattr(user, "_newsdesk_desks", None)
    if desks is None:
        desks = list(Desk.objects.prefetch_related("members"))
        user._newsdesk_desks = desks
    desk = _closest(desks, language=language, kind=kind)
    if desk is None:
        return True
    members = {member.pk for member in desk.members.all()}
    return not members or user.pk in members


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
