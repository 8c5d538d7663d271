"""What the demo archive gets beyond its stories: tags, pictures, top stories, and
the about and contribute pages, so that a first `make run` shows every kind of page.

The Wikinews corpus has no tags and no photos. Stories are tagged with the
countries their headlines name; the newest stories get generated illustrations
(abstract shapes, said so in their alt text and credit), since a model or data set
cannot be fetched at run time and the corpus ships no pictures.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFilter
from taggit.models import Tag
from wagtail.images import get_image_model

from newsdesk.core.database import planner_statistics_refresh

from .models import HomePage, HomeTopStory, InfoPage, StoryPage, StoryTag
from .services import story_listings_sync

# Countries and places the corpus's headlines name most; a tag each.
DEMO_PLACES = (
    "Afghanistan",
    "Australia",
    "Brazil",
    "Canada",
    "China",
    "Egypt",
    "France",
    "Germany",
    "India",
    "Indonesia",
    "Iran",
    "Iraq",
    "Ireland",
    "Israel",
    "Italy",
    "Japan",
    "Kenya",
    "Mexico",
    "New Zealand",
    "Nigeria",
    "North Korea",
    "Pakistan",
    "Palestine",
    "Russia",
    "Saudi Arabia",
    "South Africa",
    "South Korea",
    "Spain",
    "Sri Lanka",
    "Syria",
    "Taiwan",
    "Thailand",
    "Turkey",
    "Ukraine",
    "United Kingdom",
    "UK",
    "United States",
    "US",
    "Venezuela",
    "Zimbabwe",
    "European Union",
    "EU",
    "United Nations",
    "UN",
)
# Short forms a headline uses, tagged as the long name.
_SAME_AS = {
    "UK": "United Kingdom",
    "US": "United States",
    "EU": "European Union",
    "UN": "United Nations",
}
ILLUSTRATED_STORIES = 24
ILLUSTRATIONS = 8
TOP_STORIES = 4
ILLUSTRATION_ALT = (
    "An abstract illustration: soft coloured shapes over a sky-blue gradient."
)
ILLUSTRATION_CREDIT = "Illustration: newsdesk demo"

ABOUT_BODY = (
    "<p>{site} is an independent news agency. Our reporters, and the authors, "
    "columnists and experts who write for us, cover politics, business and daily "
    "life, in English, Dari and Pashto.</p>"
    "<p>This site sets no cookies, loads nothing from anywhere else and works "
    "without JavaScript, so it stays light on slow and expensive connections and "
    "keeps no record of who reads what.</p>"
)
CONTRIBUTE_BODY = (
    "<h2>What to send</h2>"
    "<p>News stories, opinions and editorials. Attach your text as a Word, "
    "OpenDocument, PDF or plain text file, or write it in the message itself. "
    "Photos are welcome; say who took them.</p>"
    "<h2>What happens next</h2>"
    "<p>Every message is kept as it arrived. An editor reads it, may ask you "
    "questions by email, and edits it for publication. You are told when it is "
    "published, or why it was not.</p>"
    "<h2>Your safety</h2>"
    "<p>Tell us in your message if your name must not appear: we publish under a "
    "pen name when a writer asks.</p>"
    "<h2>Contributor terms</h2>"
    "<p>You send only work that is yours to send, and tell us where it was "
    "published before. We may edit it for length, clarity and accuracy, publish it "
    "on this site and license it to the outlets that republish our copy; you keep "
    "your copyright and may publish it elsewhere a week after we do. We keep your "
    "address, phone number and real name private and never publish them without "
    "your word. You agree to these terms when you confirm your first submission.</p>"
)


@dataclass(frozen=True)
class DemoExtrasResult:
    """What the demo dressing added."""

    tagged_stories: int
    tags: int
    illustrated_stories: int
    info_pages: int
    top_stories: int


def _place_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")


def demo_tags_add(*, stories: Sequence[StoryPage]) -> tuple[int, int]:
    """Tag stories with the places their headlines name; return (stories, tags)."""
    patterns = [
        (_SAME_AS.get(name, name), _place_pattern(name)) for name in DEMO_PLACES
    ]
    names_by_story: dict[int, set[str]] = {}
    for story in stories:
        found = {tag for tag, pattern in patterns if pattern.search(story.title)}
        if found:
            names_by_story[story.pk] = found
    wanted = sorted({name for names in names_by_story.values() for name in names})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    Tag.objects.bulk_create(
        [
            Tag(name=name, slug=slugify(name, allow_unicode=True))
            for name in wanted
            if name not in existing
        ],
        ignore_conflicts=True,
    )
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    StoryTag.objects.bulk_create(
        [
            StoryTag(content_object_id=story_id, tag=tags[name])
            for story_id, names in names_by_story.items()
            for name in sorted(names)
        ],
        ignore_conflicts=True,
    )
    story_listings_sync(stories=list(names_by_story))
    return len(names_by_story), len(tags)


def illustration(seed: int, *, width: int = 1600, height: int = 1000) -> bytes:
    """Return a generated JPEG illustration, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 (shapes of a picture, not a secret)
    picture = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(picture)
    top = (rng.randrange(60, 120), rng.randrange(110, 170), rng.randrange(170, 230))
    for y in range(height):
        shade = y * 60 // height
        draw.line(
            [(0, y), (width, y)],
            fill=(top[0] + shade, top[1] + shade // 2, top[2] - shade),
        )
    for _ in range(36):
        x, y = rng.randrange(width), rng.randrange(height // 3, height)
        r = rng.randrange(40, 220)
        colour = (
            rng.randrange(30, 200),
            rng.randrange(60, 170),
            rng.randrange(30, 140),
        )
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    # Grain, as a photo has: drawn from the same seed, so the picture repeats.
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    grain = grain.convert("RGB")
    picture = Image.blend(picture, grain, 0.12).filter(ImageFilter.GaussianBlur(0.7))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def demo_illustrations_add(
    *, stories: Sequence[StoryPage], count: int = ILLUSTRATIONS
) -> int:
    """Give stories generated lead images, in turn; return how many got one."""
    if not stories:
        return 0
    image_model = get_image_model()
    images = []
    for n in range(count):
        title = f"Demo illustration {n + 1}"
        image = image_model.objects.filter(title=title).first()
        if image is None:
            content = ImageFile(
                io.BytesIO(illustration(n)), name=f"demo-illustration-{n + 1}.jpg"
            )
            image = image_model.objects.create(title=title, file=content)
        images.append(image)
    for n, story in enumerate(stories):
        StoryPage.objects.filter(pk=story.pk).update(
            lead_image=images[n % len(images)],
            lead_image_alt=ILLUSTRATION_ALT,
            lead_image_credit=ILLUSTRATION_CREDIT,
        )
    return len(stories)


def _info_page(home: HomePage, *, title: str, slug: str, **fields: object) -> bool:
    if InfoPage.objects.filter(slug=slug).exists():
        return False
    # Live without a revision, as the imported stories are: publishing would
    # enqueue a rebuild of the site, which the first start builds anyway.
    page = InfoPage(
        title=title, slug=slug, live=True, first_published_at=timezone.now(), **fields
    )
    home.add_child(instance=page)
    return True


def demo_info_pages_add(*, home: HomePage, site_name: str) -> int:
    """Add the about and contribute pages; return how many were new."""
    added = 0
    added += _info_page(
        home,
        title="About us",
        slug="about",
        standfirst=f"Who {site_name} is and how this site treats its readers.",
        body=ABOUT_BODY.format(site=site_name),
    )
    added += _info_page(
        home,
        title="Contribute",
        slug="contribute",
        standfirst="Send us your story, opinion or editorial by email.",
        body=CONTRIBUTE_BODY,
        show_submissions_address=True,
    )
    return added


def demo_top_stories_set(*, home: HomePage, stories: Sequence[StoryPage]) -> int:
    """Put the newest story of each section at the top of the home page."""
    if home.top_stories.exists():
        return 0
    chosen: dict[str, StoryPage] = {}
    for story in stories:  # newest first
        chosen.setdefault(story.path[: -story.steplen], story)
        if len(chosen) == TOP_STORIES:
            break
    HomeTopStory.objects.bulk_create(
        [
            HomeTopStory(home=home, story=story, sort_order=n)
            for n, story in enumerate(chosen.values())
        ]
    )
    return len(chosen)


def demo_extras_add(
    *, site_name: str, progress: Callable[[str], None] | None = None
) -> DemoExtrasResult:
    """Tag, illustrate and arrange the imported demo archive (safe to run twice)."""
    home = HomePage.objects.first()
    if home is None:
        return DemoExtrasResult(0, 0, 0, 0, 0)
    stories = list(
        StoryPage.objects.live()
        .order_by("-first_published_at", "-id")
        .only("title", "path", "depth")
    )
    with transaction.atomic():
        tagged, tags = demo_tags_add(stories=stories)
    if progress:
        progress(f"Tagged {tagged} stories with {tags} places.")
    illustrated = demo_illustrations_add(stories=stories[:ILLUSTRATED_STORIES])
    top = demo_top_stories_set(home=home, stories=stories)
    info = demo_info_pages_add(home=home, site_name=site_name)
    planner_statistics_refresh()  # the tags changed the lists' sizes
    return DemoExtrasResult(
        tagged_stories=tagged,
        tags=tags,
        illustrated_stories=illustrated,
        info_pages=info,
        top_stories=top,
    )
