"""What the home page, section fronts, author pages and their archives show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.text import Truncator
from taggit.models import Tag

from ..images import picture_for
from ..models import (
    Correction,
    HomePage,
    InfoPage,
    Person,
    SectionPage,
    StoryPage,
)
from .common import (
    DESCRIPTION_WORDS,
    HOME_LATEST,
    HOME_PER_SECTION,
    ArchivePage,
    SectionLink,
    SiteInfo,
    absolute_url,
    archive_path,
    author_path,
    public_path,
    tag_path,
)
from .lists import (
    archive_page_count,
    section_list_live,
    section_map,
    site_info,
    story_count_live,
    story_list_live,
    story_list_live_slice,
    story_list_top,
    teasers,
)


def reader_page_context(
    *, site: SiteInfo, path: str, title: str, description: str
) -> dict[str, Any]:
    """Return what every reader page's template needs (reader/base.html)."""
    return _page_context(site=site, path=path, title=title, description=description)


def _page_context(
    *, site: SiteInfo, path: str, title: str, description: str
) -> dict[str, Any]:
    return {
        "site": site,
        "path": path,
        "canonical_url": absolute_url(path),
        "page_title": title,
        "description": description,
        "lang": site.language,
        "dir": site.text_direction,
        "current_section_path": "",
    }


def home_context(home: HomePage, *, site: SiteInfo | None = None) -> dict[str, Any]:
    """Return what the home page shows: the latest stories and each section's."""
    live_sections = list(section_list_live())
    site = site or site_info(sections=live_sections)
    sections = section_map()
    fronts = []
    for section in live_sections:
        stories = teasers(
            story_list_live(section=section)[:HOME_PER_SECTION], sections=sections
        )
        fronts.append(
            {
                "section": SectionLink(section.title, public_path(section)),
                "stories": stories,
            }
        )
    context = _page_context(
        site=site,
        path="/",
        title=site.name,
        description=f"The latest news from {site.name}.",
    )
    top = story_list_top(home)
    latest = story_list_live().exclude(pk__in=[story.pk for story in top])
    context.update(
        {
            "home": home,
            "top_stories": teasers(top, sections=sections),
            "latest": teasers(latest[:HOME_LATEST], sections=sections),
            "section_fronts": fronts,
        }
    )
    return context


def _section_base(
    section: SectionPage, *, site: SiteInfo, path: str, title: str
) -> dict[str, Any]:
    section_path = public_path(section)
    context = _page_context(
        site=site,
        path=path,
        title=title,
        description=section.description or f"{section.title} news from {site.name}.",
    )
    context["section"] = section
    context["section_link"] = SectionLink(section.title, section_path)
    context["current_section_path"] = section_path
    return context


def _front_stories(
    scope: Mapping[str, Any], stories: Sequence[StoryPage] | None, total: int | None
) -> tuple[list[StoryPage], int]:
    """Return the newest stories a front shows, and how many there are in all
    (``total``, when the caller counted them already)."""
    size = settings.NEWSDESK_FRONT_SIZE
    if stories is None:
        newest = list(story_list_live(**scope)[:size])
        return newest, story_count_live(**scope) if total is None else total
    return list(stories[:size]), len(stories)


# A front links its newest archive pages and page 1; each archive page links the
# pages beside it. Linking every page grew with the archive: the front of an author
# of 55,000 stories carried 1,100 links.
ARCHIVE_LINKS = 8


def _archive_list(front_path: str, total: int) -> list[ArchivePage]:
    """Return the archive pages a front links: the newest (highest number) first, and
    the first page (the oldest stories) after a gap when there are many."""
    last = archive_page_count(total=total)
    numbers = list(range(last, max(0, last - ARCHIVE_LINKS), -1))
    pages = [ArchivePage(n, archive_path(front_path, n)) for n in numbers]
    if numbers and numbers[-1] > 1:
        gap = numbers[-1] > 2
        pages.append(ArchivePage(1, archive_path(front_path, 1), after_gap=gap))
    return pages


def _archive_page(
    front_path: str,
    *,
    number: int,
    scope: Mapping[str, Any],
    stories: Sequence[StoryPage] | None,
    total: int | None,
) -> tuple[list[StoryPage], dict[str, Any]]:
    """Return the stories on archive page ``number`` (newest first) and its links."""
    size = settings.NEWSDESK_ARCHIVE_PAGE_SIZE
    start, stop = (number - 1) * size, number * size
    if stories is None:
        total = story_count_live(**scope) if total is None else total
        page_stories = story_list_live_slice(start=start, stop=stop, **scope)
    else:
        total = len(stories)
        page_stories = list(stories[start:stop])
    last = archive_page_count(total=total)
    page_stories.reverse()  # newest first within the page, as on the front
    links = {
        "number": number,
        "last_number": last,
        "older": (
            ArchivePage(number - 1, archive_path(front_path, number - 1))
            if number > 1
            else None
        ),
        "newer": (
            ArchivePage(number + 1, archive_path(front_path, number + 1))
            if number < last
            else None
        ),
    }
    return page_stories, links


def _list_front(
    context: dict[str, Any],
    *,
    path: str,
    scope: Mapping[str, Any],
    stories: Sequence[StoryPage] | None,
    sections: Mapping[str, SectionPage] | None,
    intro: str,
    total: int | None,
) -> dict[str, Any]:
    """Add a front's newest stories and its archive pages to ``context``."""
    newest, total = _front_stories(scope, stories, total)
    context["stories"] = teasers(newest, sections=sections)
    context["archive_pages"] = _archive_list(path, total)
    context["archive_intro"] = intro
    return context


def _list_archive(
    context: dict[str, Any],
    *,
    path: str,
    number: int,
    scope: Mapping[str, Any],
    stories: Sequence[StoryPage] | None,
    sections: Mapping[str, SectionPage] | None,
    front_name: str,
    front_link: SectionLink,
    show_section: bool,
    total: int | None,
) -> dict[str, Any]:
    """Add archive page ``number`` of a front (1 = oldest) to ``context``."""
    page_stories, links = _archive_page(
        path, number=number, scope=scope, stories=stories, total=total
    )
    context.update(links)
    context["stories"] = teasers(page_stories, sections=sections)
    context["front_name"] = front_name
    context["front_link"] = front_link
    context["show_section"] = show_section
    return context


def section_context(
    section: SectionPage,
    *,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
) -> dict[str, Any]:
    """Return what a section front shows: its newest stories and its archive pages.

    ``stories``, if given, are all the section's live stories newest first (as
    ``story_list_live(section=...)`` returns them), saving the queries.
    """
    site = site or site_info()
    path = public_path(section)
    context = _section_base(
        section, site=site, path=path, title=f"{section.title} — {site.name}"
    )
    return _list_front(
        context,
        path=path,
        scope={"section": section},
        stories=stories,
        sections={section.path: section},
        intro=f"Every {section.title} story, page 1 holding the oldest.",
        total=total,
    )


def section_archive_context(
    section: SectionPage,
    *,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
) -> dict[str, Any]:
    """Return what archive page ``number`` of a section shows (1 = oldest stories).

    ``stories``, if given, are all the section's live stories oldest first (as
    ``story_list_live_oldest_first()`` returns them), saving the queries.
    """
    site = site or site_info()
    path = public_path(section)
    context = _section_base(
        section,
        site=site,
        path=archive_path(path, number),
        title=f"{section.title} archive, page {number} — {site.name}",
    )
    return _list_archive(
        context,
        path=path,
        number=number,
        scope={"section": section},
        stories=stories,
        sections={section.path: section},
        front_name=section.title,
        front_link=SectionLink(f"{section.title} front page", path),
        show_section=False,
        total=total,
    )


# A portrait beside the name: a fifth of a phone's width, a fixed size beyond.
PORTRAIT_SIZES = "(min-width: 46rem) 8rem, 25vw"


def _author_base(
    person: Person, *, site: SiteInfo, path: str, title: str
) -> dict[str, Any]:
    bio = " ".join(person.bio.split())
    context = _page_context(
        site=site,
        path=path,
        title=title,
        description=Truncator(bio).words(DESCRIPTION_WORDS, truncate="…")
        or f"Stories by {person.name} on {site.name}.",
    )
    context["person"] = person
    context["portrait"] = (
        picture_for(person.photo, alt=f"{person.name}", sizes=PORTRAIT_SIZES)
        if person.photo_id is not None
        else None
    )
    return context


def author_context(
    person: Person,
    *,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> dict[str, Any]:
    """Return what a person's author page shows: their newest stories and archive.

    ``stories``, if given, are all the person's live stories newest first (as
    ``story_list_live(author=...)`` returns them), saving the queries.
    """
    site = site or site_info()
    path = author_path(person)
    context = _author_base(
        person, site=site, path=path, title=f"{person.name} — {site.name}"
    )
    return _list_front(
        context,
        path=path,
        scope={"author": person},
        stories=stories,
        sections=sections,
        intro=f"Every story by {person.name}, page 1 holding the oldest.",
        total=total,
    )


def author_archive_context(
    person: Person,
    *,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> dict[str, Any]:
    """Return what archive page ``number`` of a person's stories shows (1 = oldest).

    ``stories``, if given, are all the person's live stories oldest first (as
    ``story_list_live_oldest_first(author=...)`` returns them), saving the queries.
    """
    site = site or site_info()
    path = author_path(person)
    context = _author_base(
        person,
        site=site,
        path=archive_path(path, number),
        title=f"Stories by {person.name}, page {number} — {site.name}",
    )
    return _list_archive(
        context,
        path=path,
        number=number,
        scope={"author": person},
        stories=stories,
        sections=sections,
        front_name=person.name,
        front_link=SectionLink(f"Newest stories by {person.name}", path),
        show_section=True,
        total=total,
    )


def _tag_base(tag: Tag, *, site: SiteInfo, path: str, title: str) -> dict[str, Any]:
    context = _page_context(
        site=site,
        path=path,
        title=title,
        description=f"Stories about {tag.name} from {site.name}.",
    )
    context["tag"] = tag
    return context


def tag_context(
    tag: Tag,
    *,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> dict[str, Any]:
    """Return what a tag's page shows: its newest stories and archive.

    ``stories``, if given, are all the tag's live stories newest first (as
    ``story_list_live(tag=...)`` returns them), saving the queries.
    """
    site = site or site_info()
    path = tag_path(tag)
    context = _tag_base(tag, site=site, path=path, title=f"{tag.name} — {site.name}")
    return _list_front(
        context,
        path=path,
        scope={"tag": tag},
        stories=stories,
        sections=sections,
        intro=f"Every story tagged {tag.name}, page 1 holding the oldest.",
        total=total,
    )


def tag_archive_context(
    tag: Tag,
    *,
    number: int,
    site: SiteInfo | None = None,
    stories: Sequence[StoryPage] | None = None,
    total: int | None = None,
    sections: Mapping[str, SectionPage] | None = None,
) -> dict[str, Any]:
    """Return what archive page ``number`` of a tag's stories shows (1 = oldest)."""
    site = site or site_info()
    path = tag_path(tag)
    context = _tag_base(
        tag,
        site=site,
        path=archive_path(path, number),
        title=f"Stories tagged {tag.name}, page {number} — {site.name}",
    )
    return _list_archive(
        context,
        path=path,
        number=number,
        scope={"tag": tag},
        stories=stories,
        sections=sections,
        front_name=tag.name,
        front_link=SectionLink(f"Newest stories tagged {tag.name}", path),
        show_section=True,
        total=total,
    )


def info_context(page: InfoPage, *, site: SiteInfo | None = None) -> dict[str, Any]:
    """Return what an information page (about, contribute ...) shows."""
    site = site or site_info()
    path = public_path(page)
    context = _page_context(
        site=site,
        path=path,
        title=f"{page.title} — {site.name}",
        description=" ".join(page.standfirst.split()),
    )
    context["info_page"] = page
    context["current_section_path"] = path
    if page.show_submissions_address:
        context["submissions_address"] = settings.NEWSDESK_SUBMISSIONS_ADDRESS
    return context


CORRECTIONS_PATH = "/corrections/"
# Corrections a page lists; older ones are on numbered pages after it.
CORRECTIONS_PER_PAGE = 200


def _corrections_live() -> QuerySet[Correction]:
    live: QuerySet[Correction] = Correction.objects.filter(story__live=True)
    return live


def _pages_for(count: int) -> int:
    return max(1, -(-count // CORRECTIONS_PER_PAGE))


def corrections_page_count() -> int:
    """Return how many pages the corrections take (at least one)."""
    return _pages_for(_corrections_live().count())


def corrections_page_path(number: int) -> str:
    """Return the reader path of a page of the corrections: the first is
    ``/corrections/``, the older ones ``/corrections/archive/<n>/``."""
    return CORRECTIONS_PATH if number == 1 else archive_path(CORRECTIONS_PATH, number)


def corrections_context(
    *, site: SiteInfo | None = None, number: int = 1
) -> dict[str, Any]:
    """Return what a page of the corrections shows: every correction to a live
    story, newest first, with the story it corrects, ``CORRECTIONS_PER_PAGE`` a
    page, linked to the newer and older pages."""
    site = site or site_info()
    count = _corrections_live().count()
    pages = _pages_for(count)
    path = corrections_page_path(number)
    title = "Corrections" if number == 1 else f"Corrections, page {number}"
    context = _page_context(
        site=site,
        path=path,
        title=f"{title} — {site.name}",
        description=f"What {site.name} got wrong, and put right.",
    )
    first = (number - 1) * CORRECTIONS_PER_PAGE
    rows = (
        _corrections_live()
        .select_related("story")
        .order_by("-published_at", "-pk")[first : first + CORRECTIONS_PER_PAGE]
    )
    context["corrections"] = [
        {
            "date": row.published_at,
            "note": row.note,
            "story_title": row.story.title,
            "story_path": public_path(row.story),
        }
        for row in rows
    ]
    context["first_number"] = count - first
    context["page_number"], context["page_count"] = number, pages
    context["newer_path"] = corrections_page_path(number - 1) if number > 1 else None
    context["older_path"] = (
        corrections_page_path(number + 1) if number < pages else None
    )
    context["current_section_path"] = CORRECTIONS_PATH
    return context
