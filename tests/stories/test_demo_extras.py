"""The demo archive gets tags, illustrations, top stories and the about and
contribute pages, so a first start shows every kind of reader page."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.demo_extras import (
    ILLUSTRATION_ALT,
    demo_extras_add,
    illustration,
)
from newsdesk.stories.models import HomePage, InfoPage, StoryPage
from tests.publishing.conftest import output_files, read

# Wagtail leaves the temporary file of each rendition it makes open
# (wagtail/wagtail#14055); these two warnings, and only these, are its leak.
pytestmark = [
    pytest.mark.filterwarnings(
        r"ignore:Unclosed file <tempfile\.SpooledTemporaryFile:ResourceWarning"
    ),
    pytest.mark.filterwarnings(
        r"ignore:unclosed file <_io\.BufferedRandom:ResourceWarning"
    ),
]


def test_illustrations_are_the_same_for_the_same_seed_and_photo_sized() -> None:
    first, again, other = illustration(1), illustration(1), illustration(2)

    assert first == again
    assert first != other
    with Image.open(io.BytesIO(first)) as picture:
        assert picture.size == (1600, 1000)
        assert picture.format == "JPEG"


def test_demo_extras_tag_illustrate_and_arrange_the_archive(
    home: HomePage, story_factory: Callable[..., StoryPage]
) -> None:
    # given: imported stories, some naming places in their headlines
    kabul = story_factory(live=True, title="Floods in Afghanistan close roads")
    story_factory(live=True, title="UK and US agree on trade")
    story_factory(live=True, title="Council meets on Tuesday")

    # when
    result = demo_extras_add(site_name="Newsdesk")

    # then: places became tags (short forms as the long name)
    assert result.tagged_stories == 2
    assert {t.name for t in kabul.tags.all()} == {"Afghanistan"}
    assert result.tags == 3  # Afghanistan, United Kingdom, United States
    # the newest stories have an illustration with honest alt text
    illustrated = StoryPage.objects.exclude(lead_image=None)
    assert illustrated.count() == 3
    assert {s.lead_image_alt for s in illustrated} == {ILLUSTRATION_ALT}
    # the about and contribute pages exist and are live
    assert set(InfoPage.objects.live().values_list("slug", flat=True)) == {
        "about",
        "contribute",
    }
    assert result.top_stories == 1  # one section: its newest story

    # and a rebuild shows them all
    site_rebuild()
    files = output_files()
    assert {"about/index.html", "contribute/index.html"} <= files
    assert "tags/afghanistan/index.html" in files
    assert any(name.startswith("images/") for name in files)
    assert "<picture>" in read("world/" + kabul.slug + "/index.html")
    assert 'href="/contribute/"' in read("index.html")


def test_demo_extras_run_twice_add_nothing_twice(
    home: HomePage, story_factory: Callable[..., StoryPage]
) -> None:
    story_factory(live=True, title="Floods in Afghanistan close roads")
    demo_extras_add(site_name="Newsdesk")

    again = demo_extras_add(site_name="Newsdesk")

    assert again.info_pages == 0
    assert again.top_stories == 0
    assert InfoPage.objects.count() == 2
    assert home.top_stories.count() == 1
