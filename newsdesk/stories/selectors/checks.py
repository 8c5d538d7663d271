"""Newsroom reads about publishing: the last checks before a story goes out, what
is scheduled, and what went out today."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import PageLogEntry, Revision, Task, TaskState

from ..models import Correction, SectionPage, StoryPage

# Longer headlines are cut short in search results and news apps.
HEADLINE_MAX = 110


def story_publish_problems(story: StoryPage) -> list[str]:
    """Return what stops this version of a story from being published, in words an
    editor can act on; empty when it may go."""
    problems = []
    headline = story.title.strip()
    if not headline:
        problems.append("It needs a headline.")
    elif len(headline) > HEADLINE_MAX:
        problems.append(
            f"The headline is {len(headline)} characters long; keep it to "
            f"{HEADLINE_MAX}, or search results and news apps cut it short."
        )
    # A revision's byline is in memory (all()), a saved story's in the database.
    if not any(credit.person_id for credit in story.authors.all()):
        problems.append("It needs a byline: add at least one author.")
    if story.lead_image_id is not None and not story.lead_image_alt.strip():
        problems.append(
            "The lead image needs alt text: describe it for readers who cannot see it."
        )
    parent = story.get_parent() if story.pk else None
    if parent is not None and not isinstance(parent.specific, SectionPage):
        problems.append("It must be in a section.")
    return problems


def story_approval_problems(task_state: TaskState) -> list[str]:
    """Return what stops the story under review from being published when this
    review step approves it: empty when the step is not the last (another approval
    still follows, and the checks run then) or when the latest version may go."""
    workflow_state = task_state.workflow_state
    still_to_approve = (
        Task.objects.filter(
            workflow_tasks__workflow_id=workflow_state.workflow_id, active=True
        )
        .exclude(task_states__in=workflow_state.successful_task_states)
        .exclude(pk=task_state.task_id)
    )
    if still_to_approve.exists():
        return []
    story = workflow_state.content_object.specific
    if not isinstance(story, StoryPage):
        return []
    return story_publish_problems(story.get_latest_revision_as_object())


# Wagtail's history names a publish by an editor and by the worker at its time.
PUBLISH_ACTIONS = frozenset({"wagtail.publish", "wagtail.publish.scheduled"})


def story_published_last(
    story_id: int, *, besides: Revision | None = None
) -> StoryPage | None:
    """Return the story as it was last published (live now, or since taken down),
    leaving out the publish of ``besides``; None if it never was."""
    entries = PageLogEntry.objects.filter(
        page_id=story_id, action__in=PUBLISH_ACTIONS, revision__isnull=False
    )
    if besides is not None:
        entries = entries.exclude(revision=besides)
    entry = entries.select_related("revision").order_by("-timestamp", "-pk").first()
    if entry is None or entry.revision is None:
        return None
    story = entry.revision.as_object()
    return story if isinstance(story, StoryPage) else None


def story_corrections_published(story_id: int) -> list[Correction]:
    """Return the corrections of the story as it was last published: those readers
    have seen."""
    story = story_published_last(story_id)
    return list(story.corrections.all()) if story is not None else []


def story_revisions_scheduled(*, limit: int = 10) -> list[Revision]:
    """Return the first ``limit`` story revisions approved to go live at a time
    still to come, soonest first."""
    return list(
        Revision.objects.filter(
            approved_go_live_at__gt=timezone.now(),
            content_type=ContentType.objects.get_for_model(StoryPage),
        ).order_by("approved_go_live_at")[:limit]
    )


def story_list_expiring(*, limit: int = 10) -> list[StoryPage]:
    """Return the first ``limit`` live stories set to be unpublished at a time still
    to come, soonest first."""
    return list(
        StoryPage.objects.live()
        .filter(expire_at__gt=timezone.now())
        .order_by("expire_at")
        .only("pk", "title", "expire_at")[:limit]
    )


def story_list_published_today() -> list[StoryPage]:
    """Return the stories published (first or again) since midnight, newest first."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        StoryPage.objects.live()
        .filter(last_published_at__gte=midnight)
        .order_by("-last_published_at")
        .only("pk", "title", "last_published_at")[:20]
    )


def story_get_killed(path: str) -> StoryPage | None:
    """Return the killed story that had this reader path, if one did."""
    if not path or len(path) > 500:
        return None
    killed: StoryPage | None = (
        StoryPage.objects.filter(killed_path=path, live=False)
        .exclude(killed_at=None)
        .order_by("-killed_at")
        .first()
    )
    return killed
