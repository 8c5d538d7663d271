"""What a finished review does: Wagtail's ``WAGTAIL_FINISH_WORKFLOW_ACTION``.

Wagtail imports it while its own models load, so this module imports nothing of
Wagtail's models or ours until it is called.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def story_workflow_finish(workflow_state: Any, user: Any = None) -> None:
    """Publish what a finished review approved (Wagtail's own finish), unless it is
    a story that fails the checks before publishing: then it stays a draft.

    The newsroom's review steps refuse such an approval themselves, saying why
    (``DeskApprovalTask.on_action``); this holds for any other kind of step an
    administrator adds.
    """
    from wagtail.models import Page
    from wagtail.workflows import publish_workflow_state

    from .models import StoryPage
    from .selectors.checks import story_publish_problems

    content = workflow_state.content_object
    story = content.specific if isinstance(content, Page) else content
    if isinstance(story, StoryPage):
        problems = story_publish_problems(story.get_latest_revision_as_object())
        if problems:
            logger.warning(
                "Review of story %s approved but not published: %s",
                story.pk,
                " ".join(problems),
            )
            return
    publish_workflow_state(workflow_state, user=user)
