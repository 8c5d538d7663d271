"""Load the demo archive: real Wikinews articles as live stories, and a demo editor.

The corpus is gzip'd JSON Lines (one article a line, see the corpus README). Sections
are created through Wagtail's API like any other; the thousands of stories are
inserted in bulk, with their tree paths computed here, because creating them one by
one through ``add_child`` takes minutes. The tree is left exactly as treebeard would
have built it (``Page.find_problems()`` finds nothing).

The archive can be replayed several times (``copies``) to try the site at a larger
agency's scale: each copy after the first has the same headlines and text, its own
slugs, and dates moved back by the archive's span times the copy number, so that the
copies follow one another in time instead of piling up on the same days.
"""

from __future__ import annotations

import datetime as dt
import gzip
import html
import json
import os
import re
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils.text import slugify
from wagtail.models import Page
from wagtail.search.backends import get_search_backends

from newsdesk.core.database import planner_statistics_refresh
from newsdesk.core.errors import NewsdeskError

from .models import HomePage, Person, SectionPage, StoryAuthor, StoryPage
from .services import story_listings_sync

DEMO_USERNAME = "editor"
# A fixed password is fine for the embedded demo: it is printed on every start.
DEMO_PASSWORD = "newsdesk-demo"  # noqa: S105
DEMO_GROUP = "Moderators"  # Wagtail's group that may publish
CORPUS_ENV = "NEWSDESK_DEMO_CORPUS"
CREDIT_NAME = "Wikinews contributors"
# CC BY asks for the author, the licence and a note of changes made.
SOURCE_CREDIT = (
    "Wikinews contributors, CC BY 2.5 (text lightly cleaned, paragraph breaks added)"
)
LICENCE_URL = "https://creativecommons.org/licenses/by/2.5/"

POLITICS = "Politics and conflicts"
ECONOMY = "Economy and business"
# (title, slug) of the section for each set of corpus categories.
SECTIONS: dict[frozenset[str], tuple[str, str]] = {
    frozenset({POLITICS}): ("Politics", "politics"),
    frozenset({ECONOMY}): ("Business", "business"),
    frozenset({POLITICS, ECONOMY}): ("Politics and economy", "politics-and-economy"),
}

SLUG_MAX = 80
PARAGRAPH_SENTENCES = 4
PARAGRAPH_CHARS = 600
INSERT_BATCH = 500
# Names a section folder already uses for its own pages in the output folder.
RESERVED_SLUGS = frozenset({"archive"})

Progress = Callable[[int, int], None]


class DemoCorpusError(NewsdeskError):
    """The corpus file is missing, unreadable or holds a line that is not an article."""


class DemoSetupError(NewsdeskError):
    """The database lacks what the demo builds on (the home page, the Moderators group)."""


@dataclass(frozen=True)
class DemoArticle:
    """One article of the corpus, checked."""

    line: int
    title: str
    date: dt.date | None
    section_slug: str
    url: str
    text: str


@dataclass(frozen=True)
class DemoLoadResult:
    """What loading the demo archive did."""

    stories: int
    stories_per_section: dict[str, int]
    sections_created: list[str]
    editor_created: bool
    copies: int = 1


# --- the corpus ------------------------------------------------------------------------


def corpus_default_path() -> Path:
    """Return the corpus file to read: $NEWSDESK_DEMO_CORPUS, or the shared corpus."""
    configured = os.environ.get(CORPUS_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return (
        Path(settings.BASE_DIR).parent
        / "shared"
        / "corpus"
        / "wikinews-en"
        / "wikinews_en.jsonl.gz"
    )


class _BadRecord(ValueError):
    """A line is JSON but not an article."""


def _text_field(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _BadRecord(f"{name!r} is missing or not text.")
    return " ".join(value.split())


def _article(record: object, line: int) -> DemoArticle:
    if not isinstance(record, dict):
        raise _BadRecord(f"expected a JSON object, not {record!r:.40}.")
    categories = record.get("categories")
    if not isinstance(categories, list) or not all(
        isinstance(c, str) for c in categories
    ):
        raise _BadRecord("'categories' is not a list of names.")
    section = SECTIONS.get(frozenset(categories))
    if section is None:
        raise _BadRecord(
            f"categories {categories!r} name no demo section "
            f"(expected {POLITICS!r}, {ECONOMY!r} or both)."
        )
    raw_date = record.get("date")
    date = None
    if raw_date is not None:
        try:
            date = dt.date.fromisoformat(str(raw_date))
        except ValueError:
            raise _BadRecord(f"date {raw_date!r} is not YYYY-MM-DD.") from None
    url = record.get("url", "")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise _BadRecord("'url' is not an https address.")
    return DemoArticle(
        line=line,
        title=html.unescape(_text_field(record, "title"))[:255],
        date=date,
        section_slug=section[1],
        url=url[:500],
        text=_text_field(record, "text"),
    )


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def corpus_read(*, path: Path, limit: int | None = None) -> list[DemoArticle]:
    """Return the first ``limit`` articles of a corpus file (all without a limit).

    Raises ``DemoCorpusError`` naming the file, and the line when one is malformed.
    """
    if not path.is_file():
        raise DemoCorpusError(f"There is no demo corpus at {path}.")
    articles: list[DemoArticle] = []
    try:
        with _open_text(path) as corpus:
            for number, text in enumerate(corpus, start=1):
                if limit is not None and len(articles) >= limit:
                    break
                if not text.strip():
                    continue
                try:
                    articles.append(_article(json.loads(text), number))
                except json.JSONDecodeError as error:
                    raise DemoCorpusError(
                        f"Line {number} of {path} is not valid JSON: {error.msg}."
                    ) from None
                except _BadRecord as error:
                    raise DemoCorpusError(f"Line {number} of {path}: {error}") from None
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as error:
        raise DemoCorpusError(f"Cannot read the demo corpus {path}: {error}") from None
    return articles


# --- text into a story ---------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    {
        "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "sen.", "rep.", "gov.", "gen.",
        "col.", "lt.", "sgt.", "capt.", "jr.", "sr.", "inc.", "ltd.", "co.", "corp.",
        "no.", "vs.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.",
        "sept.", "oct.", "nov.", "dec.", "u.s.", "u.k.", "u.n.", "e.g.", "i.e.",
        "approx.", "est.", "ft.", "mt.", "rev.", "hon.", "pres.",
    }
)  # fmt: skip
# Closing and opening quotes, straight and typographic.
_SENTENCE_END = re.compile("[.!?][\"'\u201d\u2019)\\]]*$")
_SENTENCE_START = re.compile("[\"'\u201c\u2018(\\[]?[A-Z0-9]")
_INITIAL = re.compile(r"^[A-Z]\.$")
_HEADING = re.compile(r"(={2,4})\s*([^=]{1,100}?)\s*\1")
_WIKI_LINK = re.compile(r"\[https?://[^\s\]]+(?:\s+([^\]]*))?\]")
_DROPPED_HEADING = re.compile(
    r"(previous )?related|see also|external links?|sources?|references?|notes?$",
    re.IGNORECASE,
)


def _iter_sentences(text: str) -> Iterator[str]:
    words = text.split()
    current: list[str] = []
    for index, word in enumerate(words):
        current.append(word)
        # Cheap test first: most words end no sentence.
        if word[-1] not in ".!?\"')]\u201d\u2019":
            continue
        following = words[index + 1] if index + 1 < len(words) else ""
        ends = (
            _SENTENCE_END.search(word) is not None
            and word.lower() not in _ABBREVIATIONS
            and not _INITIAL.match(word)
        )
        if ends and (not following or _SENTENCE_START.match(following)):
            yield " ".join(current)
            current = []
    if current:
        yield " ".join(current)


def sentences(text: str) -> list[str]:
    """Split running text into sentences (good enough for news prose)."""
    return list(_iter_sentences(text))


def paragraphs(text: str) -> list[str]:
    """Group a text's sentences into paragraphs of about four sentences or 600 chars."""
    result: list[list[str]] = []
    current: list[str] = []
    size = 0
    for sentence in sentences(text):
        current.append(sentence)
        size += len(sentence) + 1
        if len(current) >= PARAGRAPH_SENTENCES or size >= PARAGRAPH_CHARS:
            result.append(current)
            current, size = [], 0
    if current:
        # A short last sentence reads better with the paragraph before it.
        if result and len(current) == 1 and size < 120:
            result[-1].extend(current)
        else:
            result.append(current)
    return [" ".join(group) for group in result]


def _blocks(text: str) -> list[tuple[int, str]]:
    """Return (heading level or 0 for running text, text) blocks of an article.

    Wiki headings (``== Background ==``) become headings; the link lists Wikinews
    ends articles with (related news, see also, sources) are dropped, since their
    links did not survive into the corpus.
    """
    blocks: list[tuple[int, str]] = []
    # External links kept only their wiki markup; keep their label, drop the bare ones.
    text = _WIKI_LINK.sub(lambda m: m.group(1) or "", html.unescape(text))
    parts = _HEADING.split(text)
    # split() gives: text, marks, heading, text, marks, heading, text ...
    keep = True
    for index in range(0, len(parts), 3):
        if index:
            level, heading = len(parts[index - 2]), " ".join(parts[index - 1].split())
            keep = not _DROPPED_HEADING.match(heading)
            if keep and heading:
                blocks.append((min(level, 4), heading))
        body = " ".join(w for w in parts[index].split() if w.strip("*"))
        if keep and body:
            blocks.append((0, body))
    return blocks


def body_html(text: str) -> str:
    """Return an article's text as rich-text HTML: escaped paragraphs and headings."""
    out = []
    for level, block in _blocks(text):
        if level:
            out.append(f"<h{level}>{html.escape(block, quote=False)}</h{level}>")
        else:
            out += (f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs(block))
    return "".join(out)


def _slug_base(title: str) -> str:
    return slugify(title, allow_unicode=True)[:SLUG_MAX].strip("-") or "story"


def unique_slugs(titles: Iterable[str], *, taken: set[str]) -> list[str]:
    """Return a slug per title, unique among themselves and ``taken`` (updated)."""
    slugs = []
    for title in titles:
        base = _slug_base(title)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs.append(slug)
    return slugs


def _published_at(date: dt.date) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(12, 0), tzinfo=dt.UTC)


# --- writing ---------------------------------------------------------------------------


def demo_editor_ensure() -> bool:
    """Create the demo editor (a Moderator) unless the username is taken; say if created.

    An existing account of that name is left exactly as it is.
    """
    user_model = get_user_model()
    if user_model.objects.filter(username=DEMO_USERNAME).exists():
        return False
    group = Group.objects.filter(name=DEMO_GROUP).first()
    if group is None:
        raise DemoSetupError(
            f"There is no {DEMO_GROUP!r} group; run `newsdesk migrate` first."
        )
    user = user_model.objects.create_user(
        username=DEMO_USERNAME,
        email=f"{DEMO_USERNAME}@newsdesk.localhost",
        password=DEMO_PASSWORD,
        first_name="Demo",
        last_name="Editor",
    )
    user.groups.add(group)
    return True


def _section(home: HomePage, title: str, slug: str) -> tuple[SectionPage, bool]:
    existing = SectionPage.objects.child_of(home).filter(slug=slug).first()
    if existing is not None:
        return existing, False
    section = SectionPage(title=title, slug=slug)
    home.add_child(instance=section)
    section.save_revision().publish()
    section.refresh_from_db()
    return section, True


def _credit_person() -> Person:
    person = Person.objects.filter(
        name=CREDIT_NAME, kind=Person.Kind.ORGANISATION
    ).first()
    if person is None:
        person = Person.objects.create(
            name=CREDIT_NAME,
            kind=Person.Kind.ORGANISATION,
            bio=f"The volunteer writers of Wikinews (https://en.wikinews.org); their articles are licensed CC BY 2.5 ({LICENCE_URL}).",
        )
    return person


def archive_span(dates: Iterable[dt.date]) -> dt.timedelta:
    """Return the days an archive covers, first and last day included (one at least)."""
    dates = list(dates)
    if not dates:
        return dt.timedelta(days=1)
    return max(dates) - min(dates) + dt.timedelta(days=1)


@dataclass(frozen=True)
class _Placement:
    """One story to insert: which article (by index), and when it was published."""

    index: int
    published: dt.datetime


def _children_state(section: SectionPage) -> tuple[set[str], int]:
    """Return the slugs a section's children take and the position of its last one."""
    children = Page.objects.filter(
        path__startswith=section.path, depth=section.depth + 1
    )
    taken = set(children.values_list("slug", flat=True)) | RESERVED_SLUGS
    last = children.order_by("-path").values_list("path", flat=True).first()
    return taken, Page._str2int(last[-Page.steplen :]) if last else 0


def _story_rows(
    section: SectionPage,
    batch: list[_Placement],
    *,
    articles: list[DemoArticle],
    bodies: dict[int, str],
    taken: set[str],
    after: int,
    content_type: ContentType,
) -> list[StoryPage]:
    """Build the unsaved story pages of a section, placed after position ``after``.

    ``taken`` (the slugs in use in the section) gets the new slugs; ``bodies`` keeps
    each article's HTML, which every copy of it shares.
    """
    slugs = unique_slugs((articles[p.index].title for p in batch), taken=taken)
    stories = []
    for position, (placement, slug) in enumerate(zip(batch, slugs, strict=True)):
        article = articles[placement.index]
        body = bodies.get(placement.index)
        if body is None:
            body = bodies[placement.index] = body_html(article.text)
        stories.append(
            StoryPage(
                title=article.title,
                draft_title=article.title,
                slug=slug,
                content_type=content_type,
                locale_id=section.locale_id,
                translation_key=uuid.uuid4(),
                path=Page._get_path(
                    section.path, section.depth + 1, after + 1 + position
                ),
                depth=section.depth + 1,
                numchild=0,
                url_path=f"{section.url_path}{slug}/",
                live=True,
                has_unpublished_changes=False,
                first_published_at=placement.published,
                last_published_at=placement.published,
                # No standfirst: the corpus has none, and repeating the first
                # sentence above the body reads as a mistake.
                standfirst="",
                body=body,
                kind=StoryPage.Kind.NEWS,
                language=StoryPage.Language.ENGLISH,
                source_credit=SOURCE_CREDIT,
                source_url=article.url,
            )
        )
    return stories


def _insert_story_rows(stories: list[StoryPage]) -> None:
    """Insert the rows of StoryPage's own table for stories whose Page rows exist."""
    # Django refuses bulk_create for a model with a parent table; the child table's
    # rows are plain inserts of its local fields, prepared as Django would save them.
    fields = StoryPage._meta.local_concrete_fields
    quote = connection.ops.quote_name
    # Only quoted names from the model's own metadata go into the statement.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(StoryPage._meta.db_table),
        ", ".join(quote(str(f.column)) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [
        [f.get_db_prep_save(getattr(story, f.attname), connection) for f in fields]
        for story in stories
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _insert_stories(stories: list[StoryPage], person: Person) -> None:
    page_fields = [f.attname for f in Page._meta.concrete_fields if not f.primary_key]
    pages = Page.objects.bulk_create(
        Page(**{name: getattr(story, name) for name in page_fields})
        for story in stories
    )
    ids = {page.path: page.pk for page in pages}
    if any(pk is None for pk in ids.values()):  # a database that returns no keys
        ids = dict(Page.objects.filter(path__in=list(ids)).values_list("path", "pk"))
    for story in stories:
        story.pk = story.page_ptr_id = ids[story.path]
    _insert_story_rows(stories)
    StoryAuthor.objects.bulk_create(
        StoryAuthor(story_id=story.pk, person=person, sort_order=0) for story in stories
    )
    # Bulk inserts send no signals: the lists and the newsroom's search learn of
    # the stories here.
    story_listings_sync(stories=[story.pk for story in stories])
    for backend in get_search_backends(with_auto_update=True):
        backend.add_bulk(StoryPage, stories)


def _batches(items: list[_Placement], size: int) -> Iterator[list[_Placement]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def demo_archive_load(
    *,
    articles: list[DemoArticle],
    copies: int = 1,
    progress: Progress | None = None,
) -> DemoLoadResult:
    """Create the demo sections, the live stories of ``articles`` and the demo editor.

    With ``copies`` above 1 the articles are imported that many times; copy ``n``
    (counting the first as 0) is dated ``n`` archive spans earlier. Sections already
    there (by slug) are reused; story slugs never clash with the stories a section
    already has. All or nothing.
    """
    if copies < 1:
        raise ValueError(f"copies must be 1 or more, not {copies}")
    try:
        home = HomePage.objects.get()
    except HomePage.DoesNotExist:
        raise DemoSetupError(
            "There is no home page; run `newsdesk migrate` first."
        ) from None
    editor_created = demo_editor_ensure()
    person = _credit_person()
    dates = [a.date for a in articles if a.date is not None]
    fallback_date = min(dates) if dates else dt.datetime.now(tz=dt.UTC).date()
    span = archive_span(dates)
    content_type = ContentType.objects.get_for_model(StoryPage)

    by_section: dict[str, list[int]] = {}
    for index, article in enumerate(articles):
        by_section.setdefault(article.section_slug, []).append(index)
    titles = {slug: title for title, slug in SECTIONS.values()}

    total = len(articles) * copies
    done = 0
    if progress is not None:
        progress(done, total)
    created: list[str] = []
    counts: dict[str, int] = {}
    bodies: dict[int, str] = {}
    for slug in sorted(by_section, key=list(titles).index):
        section, is_new = _section(home, titles[slug], slug)
        if is_new:
            created.append(section.title)
        placements = [
            _Placement(
                index=index,
                published=_published_at(articles[index].date or fallback_date)
                - span * copy,
            )
            for copy in range(copies)
            for index in by_section[slug]
        ]
        taken, last_position = _children_state(section)
        for batch in _batches(placements, INSERT_BATCH):
            # Each batch goes after the stories the one before inserted.
            rows = _story_rows(
                section,
                batch,
                articles=articles,
                bodies=bodies,
                taken=taken,
                after=last_position,
                content_type=content_type,
            )
            _insert_stories(rows, person)
            last_position += len(rows)
            done += len(rows)
            if progress is not None:
                progress(done, total)
        numchild = Page.objects.filter(
            path__startswith=section.path, depth=section.depth + 1
        ).count()
        Page.objects.filter(pk=section.pk).update(numchild=numchild)
        counts[section.title] = len(placements)
    # The planner must know the archive's new size before the site is built from it.
    transaction.on_commit(planner_statistics_refresh)
    return DemoLoadResult(
        stories=done,
        stories_per_section=counts,
        sections_created=created,
        editor_created=editor_created,
        copies=copies,
    )
