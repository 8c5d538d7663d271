"""A full rebuild writes every page of the site and removes what is no longer live."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from newsdesk.publishing.services import BUILT_MARKER, REBUILD_JOURNAL, site_rebuild
from newsdesk.publishing.sitemaps import month_sitemap_path, month_start
from newsdesk.stories.models import HomePage, SectionPage, StoryAuthor, StoryPage
from tests.stories.factories import make_person, make_section

from .conftest import OLD, age_all_files, output_files, read, unchanged_since

StoryFactory = Callable[..., StoryPage]


FEED_NAMES = ("rss.xml", "atom.xml", "feed.json")


def _feeds(folder: str = "") -> set[str]:
    """Return the feed files of the list whose front page is in ``folder`` (the
    site's by default)."""
    return {f"{folder}{name}" for name in FEED_NAMES}


def _import_story(section: SectionPage, *, slug: str, day: int) -> StoryPage:
    """Add a live story the way the demo importer does: no revision at all."""
    when = datetime(2010, 1, day, tzinfo=UTC)
    story = StoryPage(
        title=f"Imported {slug}",
        slug=slug,
        live=True,
        first_published_at=when,
        last_published_at=when,
        body="<p>From the archive.</p>",
        source_credit="Wikinews",
        source_url="https://en.wikinews.org/wiki/X",
    )
    section.add_child(instance=story)
    StoryAuthor.objects.create(story=story, person=make_person(), sort_order=0)
    return story


@pytest.mark.usefixtures("small_pages")
def test_rebuild_writes_every_page_of_the_site(
    home: HomePage, section: SectionPage, story_factory: StoryFactory
) -> None:
    sport = make_section(home, title="Sport")
    farida = make_person(name="Farida Noori")
    for n in range(3):
        story_factory(live=True, slug=f"w{n}", authors=[farida])
    last = story_factory(live=True, slug="s0", section=sport, authors=[farida])
    story_factory(live=False, slug="draft")

    count = site_rebuild()

    day = timezone.localtime(last.first_published_at).date()
    expected = {
        "index.html",
        "favicon.svg",
        "404.html",
        *_feeds(),
        *_feeds("world/"),
        *_feeds("sport/"),
        *_feeds("authors/farida-noori/"),
        "corrections/index.html",
        "world/index.html",
        "world/archive/1/index.html",
        "world/archive/2/index.html",
        "world/w0/index.html",
        "world/w1/index.html",
        "world/w2/index.html",
        "sport/index.html",
        "sport/archive/1/index.html",
        "sport/s0/index.html",
        "authors/farida-noori/index.html",
        "authors/farida-noori/archive/1/index.html",
        "authors/farida-noori/archive/2/index.html",
        "robots.txt",
        "sitemap.xml",
        "sitemaps/fronts.xml",
        "sitemaps/news.xml",
        month_sitemap_path(month_start(last.first_published_at))[1:],
        "archive/index.html",
        f"archive/{day:%Y/%m}/index.html",
        f"archive/{day:%Y/%m/%d}/index.html",
        f"archive/{day:%Y/%m/%d}/2/index.html",  # two stories a page: four stories
    }
    assert output_files() == expected | {".newsdesk-built"}
    assert count == len(expected)
    assert "Page not found" in read("404.html")


def test_rebuild_publishes_imported_stories_that_have_no_revision(
    section: SectionPage,
) -> None:
    _import_story(section, slug="old", day=1)

    site_rebuild()

    assert "Imported old" in read("world/old/index.html")
    assert "Imported old" in read("index.html")


def test_rebuild_removes_pages_no_longer_live_and_keeps_other_files(
    section: SectionPage, story_factory: StoryFactory
) -> None:
    # given: a page of a story since taken down, a leftover temporary file, an asset
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    gone = root / "world/gone/index.html"
    gone.parent.mkdir(parents=True)
    gone.write_text("old story")
    leftover = root / "world/.index.html.abc.tmp"
    leftover.write_text("half")
    for path in (gone, leftover):
        os.utime(path, (OLD, OLD))
    (root / "favicon.ico").write_bytes(b"icon")
    story_factory(live=True, slug="here")

    # when
    site_rebuild()

    # then
    assert not gone.parent.exists()
    assert not leftover.exists()
    assert (root / "favicon.ico").exists()
    assert (root / "world/here/index.html").exists()


def test_rebuild_reports_progress_up_to_the_total(
    story_factory: StoryFactory,
) -> None:
    story_factory(live=True)
    calls: list[tuple[int, int]] = []

    count = site_rebuild(progress=lambda done, total: calls.append((done, total)))

    assert calls[-1] == (count, count)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_rebuild_on_several_processes_writes_the_same_site(
    section: SectionPage,
) -> None:
    for day in range(1, 8):
        _import_story(section, slug=f"s{day}", day=day)
    site_rebuild(workers=1)
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    serial = {name: (root / name).read_bytes() for name in output_files()}
    for name in serial:
        (root / name).unlink()

    count = site_rebuild(workers=2)

    assert count == len(serial) - 1  # the finished-build mark is not a page
    assert {name: (root / name).read_bytes() for name in output_files()} == serial


def test_build_site_command_builds_and_reports(story_factory: StoryFactory) -> None:
    story_factory(live=True, slug="floods")
    out = io.StringIO()

    call_command("build_site", stdout=out, stderr=io.StringIO())

    assert "world/floods/index.html" in output_files()
    # six pages, two of its author, three of the date archive (index, month, day),
    # the icon, robots.txt, the sitemap index and the fronts, news and month
    # sitemaps, and the feeds of the site, its section and its author (three each)
    assert "Wrote 26 files" in out.getvalue()


def test_build_site_if_missing_leaves_a_built_site_alone(
    story_factory: StoryFactory,
) -> None:
    story_factory(live=True, slug="floods")
    call_command("build_site", stdout=io.StringIO(), stderr=io.StringIO())
    page = Path(settings.NEWSDESK_OUTPUT_DIR) / "world" / "floods" / "index.html"
    page.write_text("left alone")
    out = io.StringIO()

    call_command("build_site", "--if-missing", stdout=out, stderr=io.StringIO())

    assert page.read_text() == "left alone"
    assert "nothing to do" in out.getvalue()


def test_build_site_if_missing_builds_a_folder_only_single_publishes_wrote(
    story_factory: StoryFactory,
) -> None:
    # Publishing a section writes index.html; that is not a built site.
    story_factory(live=True, slug="floods")
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    root.mkdir(parents=True)
    (root / "index.html").write_text("home page from a single publish")

    call_command(
        "build_site", "--if-missing", stdout=io.StringIO(), stderr=io.StringIO()
    )

    assert "world/floods/index.html" in output_files()


def test_build_site_if_missing_builds_an_empty_folder(
    story_factory: StoryFactory,
) -> None:
    story_factory(live=True, slug="floods")

    call_command(
        "build_site", "--if-missing", stdout=io.StringIO(), stderr=io.StringIO()
    )

    assert "world/floods/index.html" in output_files()


class _Stop(KeyboardInterrupt):
    """Ctrl-C pressed at a chosen point of a rebuild."""


def _stop_after(files: int) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        if done >= files:
            raise _Stop

    return progress


def test_an_interrupted_rebuild_resumes_where_it_stopped(
    story_factory: StoryFactory,
) -> None:
    # given: a rebuild stopped part of the way, its files whole on disk
    for n in range(6):
        story_factory(live=True, slug=f"s{n}")
    with pytest.raises(_Stop):
        site_rebuild(progress=_stop_after(5), workers=1)
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    assert (root / REBUILD_JOURNAL).exists()
    assert not (root / BUILT_MARKER).exists()
    first_run = age_all_files()

    # when: it is run again
    totals: list[int] = []
    count = site_rebuild(progress=lambda done, total: totals.append(done), workers=1)

    # then: it starts from the files already written, writes the rest, and finishes
    assert totals[0] >= 5
    assert first_run.keys() - {REBUILD_JOURNAL} <= unchanged_since(first_run)
    assert {f"world/s{n}/index.html" for n in range(6)} <= output_files()
    assert count == len(output_files() - {".newsdesk-built"})
    assert (root / BUILT_MARKER).exists()
    assert not (root / REBUILD_JOURNAL).exists()


def test_a_restarted_rebuild_writes_everything_again(
    story_factory: StoryFactory,
) -> None:
    for n in range(3):
        story_factory(live=True, slug=f"s{n}")
    with pytest.raises(_Stop):
        site_rebuild(progress=_stop_after(4), workers=1)
    totals: list[int] = []

    site_rebuild(progress=lambda done, total: totals.append(done), resume=False)

    assert totals[0] == 1  # counted from the first file, not from the journal
    assert not (Path(settings.NEWSDESK_OUTPUT_DIR) / REBUILD_JOURNAL).exists()


def test_build_site_resumes_a_stopped_rebuild_and_says_so(
    story_factory: StoryFactory,
) -> None:
    for n in range(3):
        story_factory(live=True, slug=f"s{n}")
    with pytest.raises(_Stop):
        site_rebuild(progress=_stop_after(2), workers=1)
    out = io.StringIO()

    call_command("build_site", stdout=out, stderr=io.StringIO())

    assert "Resuming the rebuild that was stopped" in out.getvalue()
    assert not (Path(settings.NEWSDESK_OUTPUT_DIR) / REBUILD_JOURNAL).exists()


def test_build_site_progress_is_printed_without_a_terminal(
    story_factory: StoryFactory,
) -> None:
    story_factory(live=True, slug="s0")
    err = io.StringIO()

    call_command("build_site", stdout=io.StringIO(), stderr=err)

    assert "Building: " in err.getvalue()
    assert "(100%)" in err.getvalue()
