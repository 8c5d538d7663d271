"""Rules the story models keep whoever edits them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from newsdesk.stories.models import HomePage, InfoPage, SectionPage


@pytest.mark.parametrize("slug", ["search", "tags", "authors", "archive", "images"])
def test_a_section_cannot_take_an_address_the_site_uses(
    home: HomePage, slug: str
) -> None:
    section = SectionPage(title="Search", slug=slug)

    with pytest.raises(ValidationError, match="the site's own"):
        section.full_clean()


def test_an_information_page_cannot_take_an_address_the_site_uses(
    home: HomePage,
) -> None:
    page = InfoPage(title="Tags", slug="tags")

    with pytest.raises(ValidationError, match="the site's own"):
        page.full_clean()
