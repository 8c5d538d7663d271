"""What the story commands share: finding the story a command names."""

from __future__ import annotations

from django.core.management.base import CommandError

from newsdesk.stories.models import HomePage, StoryPage


def story_from_reference(reference: str) -> StoryPage:
    """Return the story named by its number or its reader path (``/politics/slug/``)."""
    story: StoryPage | None
    if reference.isdigit():
        story = StoryPage.objects.filter(pk=int(reference)).first()
    else:
        home = HomePage.objects.first()
        prefix = home.url_path.rstrip("/") if home else ""
        url_path = prefix + "/" + reference.strip("/") + "/"
        story = StoryPage.objects.filter(url_path=url_path).first()
    if story is None:
        raise CommandError(
            f"There is no story {reference!r} (give its number or its path, e.g. /politics/slug/)."
        )
    return story
