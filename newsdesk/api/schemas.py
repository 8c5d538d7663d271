"""The shapes the read API answers with, as its OpenAPI document describes them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

Kind = Literal["news", "opinion", "editorial", "analysis", "feature"]
Language = Literal["en", "prs", "ps"]


class Error(Schema):
    """What went wrong, in words, and for bad input which parameter."""

    error: str = Field(description="What went wrong and what to do.")
    detail: list[dict[str, object]] = Field(
        default_factory=list, description="Each bad parameter, for bad input."
    )


class Withdrawn(Schema):
    """A killed story: it was withdrawn, and why."""

    error: str
    id: int
    withdrawn_at: dt.datetime
    reason: str


class SectionRef(Schema):
    """The section a story is in."""

    slug: str
    title: str
    url: str


class AuthorRef(Schema):
    """One name of a byline."""

    slug: str
    name: str
    kind: Literal["staff", "contributor", "organisation"]
    url: str


class Image(Schema):
    """The lead image: a 16:9 JPEG."""

    url: str
    width: int
    height: int
    alt: str
    caption: str
    credit: str


class Correction(Schema):
    """A dated correction note, as the story shows it."""

    published_at: dt.datetime
    note: str


class Update(Schema):
    """A dated update to a developing story, as sanitised HTML."""

    posted_at: dt.datetime
    html: str


class StorySummary(Schema):
    """A story as lists show it."""

    id: int
    url: str = Field(description="Its public address on the reader site.")
    headline: str
    summary: str = Field(description="The standfirst, or the start of the body.")
    language: str = Field(description="BCP 47: en, prs (Dari) or ps (Pashto).")
    direction: Literal["ltr", "rtl"]
    kind: Kind
    dateline: str
    section: SectionRef | None
    authors: list[AuthorRef]
    first_published_at: dt.datetime | None
    modified_at: dt.datetime | None = Field(
        description="Its last publish or update, whichever is later."
    )


class Story(StorySummary):
    """A whole story: its copy as sanitised HTML, links absolute."""

    standfirst: str
    body_html: str
    tags: list[str]
    lead_image: Image | None
    corrections: list[Correction]
    updates: list[Update] = Field(description="Oldest first.")
    source_credit: str


class StoryList(Schema):
    """One page of a story list, newest first."""

    count: int = Field(description="How many stories the whole list has.")
    next: str | None = Field(description="The address of the next page, if any.")
    previous: str | None = Field(description="The address of the page before.")
    items: list[StorySummary]


class Section(Schema):
    """A section of the site."""

    slug: str
    title: str
    description: str
    url: str
    stories: str = Field(description="The API address of its stories.")


class Author(Schema):
    """Someone named in a live story's byline."""

    slug: str
    name: str
    kind: Literal["staff", "contributor", "organisation"]
    bio: str
    url: str = Field(description="Their author page on the reader site.")
    stories: str = Field(description="The API address of their stories.")


class AuthorList(Schema):
    """One page of the authors, by name."""

    count: int
    next: str | None
    previous: str | None
    items: list[Author]
