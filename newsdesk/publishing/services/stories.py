"""Publishing, unpublishing and moving one story: its page and the pages listing it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.html import escape
from taggit.models import Tag
from wagtail.contrib.redirects.models import Redirect

from newsdesk.stories.models import Person, SectionPage, StoryPage
from newsdesk.stories.selectors import (
    RELATED_SIZE,
    SiteInfo,
    byline_people,
    in_section,
    oldest_first,
    public_path,
    section_map,
    section_of,
    site_info,
    story_list_live,
    story_tags,
)

from .. import redirects, renderer, sitemaps
from ..feeds import FeedList, site_feed_list
from ..output import (
    output_path,
    remove_file,
)
from ._listings import (
    _author_listing,
    _distinct,
    _section_listing,
    _tag_listing,
    _write_dates_with,
    _write_dates_without,
    _write_listing_with,
    _write_listing_without,
)
from ._writing import (
    _write,
    _write_corrections,
    _write_feeds,
    _write_home,
    _writing_in_background,
)


@dataclass(frozen=True)
class StorySnapshot:
    """The byline and tags a story had when it was last published before now."""

    authors: Sequence[Person] = ()
    tags: Sequence[Tag] = ()


@_writing_in_background
def site_publish_story(
    *, story: StoryPage, previously: StorySnapshot | None = None
) -> list[Path]:
    """Write a live story's page and the pages listing it; return the files written.

    Those are the story page, the home page, its section front and the archive page
    it falls on (and the one before, when it opens a new page, for its "newer"
    link), the same pages of each of its authors and tags, its day, month and the
    date archive's index, the feeds of the site and of each of those lists (RSS,
    Atom and JSON Feed) and the sitemaps that changed.
    ``previously`` is what the story was published with before: people and tags
    dropped since have their pages rewritten without it. A story no longer live is
    left alone.
    """
    live = story_list_live().filter(pk=story.pk).first()
    if live is None:
        return []
    site = site_info()
    sections = section_map()
    section = section_of(live, sections)
    people = _distinct(byline_people(live))
    tags = _distinct(story_tags(live))
    joined = [
        *(
            [_section_listing(section, site)]
            if section is not None and section.live
            else []
        ),
        *(_author_listing(person, site) for person in people),
        *(_tag_listing(tag, site) for tag in tags),
    ]
    left = []
    if previously is not None:
        kept_people = {person.pk for person in people}
        kept_tags = {tag.pk for tag in tags}
        left = [
            *(
                _author_listing(person, site)
                for person in _distinct(previously.authors)
                if person.pk not in kept_people
            ),
            *(
                _tag_listing(tag, site)
                for tag in _distinct(previously.tags)
                if tag.pk not in kept_tags
            ),
        ]
    written = [
        _write(
            public_path(live),
            renderer.render_story(story=live, site=site, sections=sections),
        ),
        *_write_home(site),
        # The feeds early: they are the largest files a publish writes, and they are
        # compressed on the writer threads while the lists' pages render.
        *_write_feeds(
            [site_feed_list(site), *(listing.feed for listing in joined)],
            site,
            sections,
            holding=live,
            left=[listing.feed for listing in left],
        ),
    ]
    for listing in joined:
        written += _write_listing_with(listing, live)
    for listing in left:
        written += _write_listing_without(listing, live)
    written += _write_dates_with(live, site)
    if live.corrections.exists():
        written += _write_corrections(site)
    written += sitemaps.sitemaps_write_for_story(story=live)
    written += _write_redirects(redirects.redirect_list_to(live), site)
    return written


def _write_redirects(found: Sequence[Redirect], site: SiteInfo) -> list[Path]:
    """Write (or remove) the redirect files of some redirects; return them."""
    changed = []
    for path, content in redirects.redirect_files(found, site=site):
        if content is None:
            changed += redirects.redirect_remove(path)
        else:
            changed.append(_write(path, content))
    return changed


@_writing_in_background
def site_write_redirect(*, redirect: Redirect) -> list[Path]:
    """Write the file of a redirect an editor (or a move) made; return it."""
    return _write_redirects([redirect], site_info())


@_writing_in_background
def site_remove_redirect(*, path: str) -> list[Path]:
    """Remove the file of a deleted redirect from its reader path (never a page)."""
    return redirects.redirect_remove(path)


@_writing_in_background
def site_unpublish_story(
    *,
    story: StoryPage,
    path: str,
    authors: Sequence[Person] | None = None,
    tags: Sequence[Tag] | None = None,
) -> list[Path]:
    """Remove a story's page from the site and rewrite the pages that listed it.

    ``path`` is the story's reader path when it was unpublished, ``authors`` and
    ``tags`` its byline's people and its tags then (by default, read from the story:
    pass them when the story is being deleted). The archive pages of its section,
    of each author and tag and of its day, from the one it was on to the last, are
    rewritten (the stories after it move up one place), and so are their feeds and
    the site's; an author or tag with no live story left loses their page and
    feeds. Returns the files written and removed.
    """
    if StoryPage.objects.filter(pk=story.pk, live=True).exists():
        return []  # published again before this ran: the publisher has it
    story_file = output_path(path)
    changed = [story_file] if remove_file(story_file) else []
    site = site_info()
    changed += _write_home(site)
    section = section_of(story)
    feeds: list[FeedList] = [site_feed_list(site)]
    if section is not None and section.live:
        listing = _section_listing(section, site)
        changed += _write_listing_without(listing, story)
        feeds.append(listing.feed)
    if authors is None:
        authors = byline_people(story)
    if tags is None:
        tags = story_tags(story)
    for listing in [
        *(_author_listing(person, site) for person in _distinct(authors)),
        *(_tag_listing(tag, site) for tag in _distinct(tags)),
    ]:
        changed += _write_listing_without(listing, story)
        feeds.append(listing.feed)
    changed += _write_dates_without(story, site)
    for redirect in redirects.redirect_list_to(story):
        path_of = redirects.redirect_path(redirect)
        if path_of is not None:
            changed += redirects.redirect_remove(path_of)
    sections = section_map()
    changed += _rewrite_stories_offering(
        story, path, tags, section=section, sections=sections
    )
    changed += _write_feeds(feeds, site, sections)
    if story.corrections.exists():
        changed += _write_corrections(site)
    changed += sitemaps.sitemaps_write_for_story(story=story)
    return changed


@_writing_in_background
def site_move_story(
    *,
    story: StoryPage,
    old_path: str,
    old_section: SectionPage | None = None,
) -> list[Path]:
    """Take a live story's old address off the site after it moved; return the files
    written and removed.

    The page at ``old_path`` becomes a redirect to the new address (see
    ``newsdesk.publishing.redirects``), and later stories offering it as "Read
    next" there are rewritten. Moved from ``old_section`` to another section, the old
    section's pages are rewritten without it and the story is published afresh at
    its new address; after a new slug, the publish that carried it wrote that.
    """
    live = story_list_live().filter(pk=story.pk).first()
    if live is None:
        return []
    old_file = output_path(old_path)
    changed = [old_file] if remove_file(old_file) else []
    if getattr(settings, "WAGTAILREDIRECTS_AUTO_CREATE", True):
        # Wagtail records the redirect too (a rebuild writes it from there), but
        # perhaps only after this runs: the move itself says where the story went.
        stub = redirects.render_redirect(target=public_path(live), site=site_info())
        changed.append(_write(old_path, stub))
    sections = section_map()
    section = section_of(live, sections)
    moved_away = old_section is not None and (
        section is None or section.pk != old_section.pk
    )
    if old_section is not None and moved_away:
        old_section = SectionPage.objects.get(pk=old_section.pk)
        if old_section.live:
            site = site_info()
            listing = _section_listing(old_section, site)
            changed += _write_listing_without(listing, live)
            changed += _write_feeds([listing.feed], site, sections)
    changed += _rewrite_stories_offering(
        live,
        old_path,
        story_tags(live),
        section=old_section if moved_away else section,
        sections=sections,
    )
    if moved_away:
        changed += site_publish_story(story=live)
    return changed


# A later story offers an earlier one under "Read next" when they share a tag, or
# when it is among the section's newest before it; past this many section stories
# after it, none can (four places, less those taken by tag matches).
_SECTION_NEIGHBOURS = 2 * RELATED_SIZE


def _rewrite_stories_offering(
    story: StoryPage,
    path: str,
    tags: Sequence[Tag],
    *,
    section: SectionPage | None,
    sections: Mapping[str, SectionPage],
) -> list[Path]:
    """Rewrite the pages of live stories that offer a story as "Read next" at a path
    it no longer has (taken down, moved, or given a new slug).

    The candidates are the later stories sharing a tag with it and the few after
    it in ``section`` (where it was); a candidate's page is rewritten when the file
    links the path. The story itself is never a candidate.
    """
    later = story_list_live().exclude(pk=story.pk)
    if story.first_published_at is not None:
        later = later.filter(first_published_at__gt=story.first_published_at)
    candidates: dict[int, StoryPage] = {}
    if tags:
        for candidate in later.filter(tagged_items__tag__in=[t.pk for t in tags]):
            candidates[candidate.pk] = candidate
    if section is not None:
        in_section_later = later.filter(in_section(section))
        neighbours = in_section_later.order_by(*oldest_first())
        for candidate in neighbours[:_SECTION_NEIGHBOURS]:
            candidates[candidate.pk] = candidate
    link = f'href="{escape(path)}"'.encode()  # as the templates write it
    rewritten = []
    site = site_info()
    for candidate in candidates.values():
        page = output_path(public_path(candidate))
        try:
            offers = link in page.read_bytes()
        except FileNotFoundError:
            continue
        if offers:
            content = renderer.render_story(
                story=candidate, site=site, sections=sections
            )
            rewritten.append(_write(public_path(candidate), content))
    return rewritten
