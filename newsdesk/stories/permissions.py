"""What a newsroom user may do to a story: Wagtail's page permissions, narrowed to
the stories of their desks (see ``selectors.desk_allows``)."""

from __future__ import annotations

from typing import Any

from wagtail.models import PagePermissionTester

from .selectors.desks import desk_allows, review_refusal


class StoryPermissionTester(PagePermissionTester):
    """Wagtail's page permissions for a story, within the user's desks.

    Outside them an editor may still edit a draft of their own, but not another's,
    and may not publish, unpublish, delete or move it. A story whose review has
    more than one step is published only by giving its last approval (or by those
    who give it): the page listings' bulk publish asks here too.
    """

    def _on_my_desk(self) -> bool:
        return desk_allows(user=self.user, page=self.page)

    def can_edit(self) -> bool:
        if not super().can_edit():
            return False
        return self._on_my_desk() or self.page.owner_id == self.user.pk

    def can_publish(self) -> bool:
        return (
            super().can_publish()
            and self._on_my_desk()
            and not review_refusal(page=self.page, user=self.user)
        )

    def can_unpublish(self) -> bool:
        return super().can_unpublish() and self._on_my_desk()

    def can_delete(self, ignore_bulk: bool = False) -> bool:
        return super().can_delete(ignore_bulk=ignore_bulk) and self._on_my_desk()

    def can_move(self) -> bool:
        return super().can_move() and self._on_my_desk()

    def can_lock(self) -> bool:
        return super().can_lock() and self._on_my_desk()


def story_permissions(user: Any, page: Any) -> StoryPermissionTester:
    """Return what ``user`` may do to the story ``page``."""
    return StoryPermissionTester(user, page)
