"""Partner items to write in every format, one for each kind of story partners get:
made directly, with no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from newsdesk.syndication.items import Item, ItemImage, ItemNote, ItemPerson

SITE = "https://news.example"
FIRST_PUBLISHED = dt.datetime(2025, 5, 2, 9, 30, tzinfo=dt.UTC)
# Every control character XML 1.0 refuses or discourages, and the non-characters.
CONTROLS = "\x00\x01\x08\x0b\x0c\x0e\x1b\x1f\x7f\x85\x9f\ufffe\uffff\U0001fffe"


def make_item(**fields: Any) -> Item:
    """Make the first version of a plain news story; fields given override."""
    number = fields.pop("number", 101)
    defaults: dict[str, Any] = {
        "guid": f"urn:newsdesk:news.example:story:{number}",
        "version": 1,
        "status": "usable",
        "uri": f"{SITE}/world/floods-close-the-salang-pass/",
        "language": "en",
        "kind": "news",
        "headline": "Floods close the Salang pass",
        "summary": "Mudslides cut the main road north of Kabul for a second day.",
        "body_html": (
            "<p>Mudslides closed the Salang pass on Tuesday.</p>"
            "<p>Drivers were told to wait in Jabal Saraj.</p>"
        ),
        "dateline": "KABUL",
        "section": "World",
        "section_slug": "world",
        "tags": ("Floods", "Salang"),
        "authors": (
            ItemPerson(
                name="Mariam Noori", kind="staff", uri=f"{SITE}/authors/mariam/"
            ),
        ),
        "first_published_at": FIRST_PUBLISHED,
        "version_created_at": FIRST_PUBLISHED,
        "copyright_holder": "Newsdesk",
        "usage_terms": "For partners' own publications; no resale.",
    }
    return Item(**{**defaults, **fields})


def plain_story() -> Item:
    """A news story as first published, without an image."""
    return make_item()


def opinion_with_image() -> Item:
    """An opinion piece by two contributors, with a lead image and a body as the
    rich-text editor writes it (an image and a quote straight in the body)."""
    return make_item(
        number=102,
        kind="opinion",
        uri=f"{SITE}/opinion/the-road-north/",
        headline="The road north needs more than repairs",
        summary="Two engineers on why the pass keeps closing.",
        body_html=(
            "<h2>A road at its limit</h2>"
            '<p>The pass was built for <a href="https://example.org/report">a tenth'
            "</a> of today&rsquo;s traffic.</p>"
            '<img alt="The tunnel mouth" class="richtext-image full-width"'
            ' height="400" src="https://news.example/media/tunnel.jpg" width="600">'
            "<blockquote>We patch it every spring.</blockquote>"
            "<ul><li>Widen the tunnel</li><li>Drain the slopes</li></ul><hr>"
        ),
        section="Opinion",
        section_slug="opinion",
        tags=("Infrastructure",),
        authors=(
            ItemPerson(
                name="Farid Ahmadi", kind="contributor", uri=f"{SITE}/authors/farid/"
            ),
            ItemPerson(name="Lena Vogt", kind="contributor"),
        ),
        image=ItemImage(
            uri=f"{SITE}/media/images/salang.width-1200.jpg",
            width=1200,
            height=675,
            media_type="image/jpeg",
            alt="Lorries queue at the southern mouth of the Salang tunnel",
            caption="The Salang tunnel, 3,400 m up, on Monday.",
            credit="Photo: Farid Ahmadi",
        ),
        source_credit="First published in the Kabul Engineering Review.",
    )


def corrected_story() -> Item:
    """The third version of a story: corrected once, updated once."""
    corrected_at = FIRST_PUBLISHED + dt.timedelta(hours=5)
    return make_item(
        version=3,
        version_created_at=corrected_at,
        corrections=(
            ItemNote(
                at=corrected_at,
                text="An earlier version gave the pass's height as 4,300 m.",
            ),
        ),
        updates=(
            ItemNote(
                at=FIRST_PUBLISHED + dt.timedelta(hours=2),
                text="<p>The road reopened to <b>southbound</b> traffic.</p>",
            ),
        ),
    )


EMBARGO = dt.datetime(2025, 5, 3, 6, 0, tzinfo=dt.UTC)


def embargoed_story() -> Item:
    """A story partners with the right may hold until its embargo ends."""
    return make_item(
        number=103,
        status="withheld",
        headline="Budget doubles road spending",
        embargo_until=EMBARGO,
        first_published_at=EMBARGO,
    )


KILL_REASON = "Legal: the named driver was not involved."


def killed_story() -> Item:
    """A story killed after publication, with the reason partners are told."""
    return make_item(
        version=2,
        status="canceled",
        kill_reason=KILL_REASON,
        version_created_at=FIRST_PUBLISHED + dt.timedelta(hours=1),
    )


def withdrawn_story() -> Item:
    """A story taken down without a kill reason (unpublished)."""
    return dataclasses.replace(killed_story(), kill_reason="")


DARI_HEADLINE = "سیلاب‌ها راه سالنگ را بستند"  # noqa: RUF001 (Dari)


def dari_story() -> Item:
    """A story of the Dari edition, written right to left."""
    return make_item(
        number=104,
        language="prs",
        uri=f"{SITE}/prs/world/salang/",
        headline=DARI_HEADLINE,
        summary="رانش زمین راه اصلی شمال کابل را برای روز دوم بست.",
        body_html="<p>رانش زمین روز سه‌شنبه راه سالنگ را بست.</p>",
        dateline="کابل",
        section="جهان",
        section_slug="prs-world",
        tags=("سیلاب",),
        authors=(
            ItemPerson(name="مریم نوری", kind="staff"),
            ItemPerson(name="فرید احمدی", kind="contributor"),
        ),
    )


HOSTILE_HEADLINE = f"Breaking]]> <script>alert('x')</script> & more{CONTROLS}"


def hostile_story() -> Item:
    """A story whose every text holds what could break a document: control
    characters, a CDATA end, a script tag."""
    return make_item(
        number=105,
        headline=HOSTILE_HEADLINE,
        summary=f"Summary{CONTROLS} ]]> <b>not bold</b>",
        body_html=(
            f"<p>Body{CONTROLS} ]]&gt; text</p><script>alert(1)</script>"
            '<p onclick="steal()">clicked</p><!-- a comment -->'
        ),
        dateline=f"KABUL{CONTROLS}",
        section=f"World{CONTROLS}",
        tags=(f"Tag{CONTROLS}]]>",),
        authors=(ItemPerson(name=f"Name{CONTROLS} <i>", kind="staff"),),
        image=ItemImage(
            uri=f"{SITE}/media/x.jpg",
            width=800,
            height=600,
            media_type="image/jpeg",
            alt=f"Alt{CONTROLS}]]>",
            caption=f"Caption{CONTROLS}<script>",
            credit=f"Credit{CONTROLS}",
        ),
        corrections=(ItemNote(at=FIRST_PUBLISHED, text=f"Fixed{CONTROLS} ]]>"),),
        updates=(ItemNote(at=FIRST_PUBLISHED, text=f"<p>Update{CONTROLS}</p>"),),
        kill_reason="",
        source_credit=f"Source{CONTROLS}",
        copyright_holder=f"Newsdesk{CONTROLS}",
        usage_terms=f"Terms{CONTROLS}",
        version=2,
    )


STORIES = {
    "plain news story": plain_story,
    "opinion with two authors and an image": opinion_with_image,
    "corrected story": corrected_story,
    "embargoed story": embargoed_story,
    "killed story": killed_story,
    "withdrawn story": withdrawn_story,
    "Dari story": dari_story,
    "hostile text": hostile_story,
}
