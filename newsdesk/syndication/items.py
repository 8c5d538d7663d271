"""A story as partners receive it: one version of one item, frozen when it was
made, from which every format (ninjs 3 and 2, NewsML-G2) is written.

An item is stored as JSON with the change that made it, so a partner asking again
for the same changes gets the same answer, byte for byte.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# usable: publish it. withheld: under embargo until ``embargo_until`` (only for
# partners allowed embargoed copy). canceled: killed, take it down.
Status = Literal["usable", "withheld", "canceled"]


@dataclass(frozen=True)
class ItemPerson:
    """One name of the byline."""

    name: str
    kind: str  # "staff", "contributor" or "organisation"
    uri: str = ""  # their author page on the reader site, if they have one


@dataclass(frozen=True)
class ItemImage:
    """The lead image, as a rendition partners may fetch."""

    uri: str
    width: int
    height: int
    media_type: str  # "image/jpeg" ...
    alt: str
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class ItemNote:
    """A dated note: a correction (text) or an update (sanitised HTML)."""

    at: dt.datetime
    text: str


@dataclass(frozen=True)
class Item:
    """One version of a story for partners."""

    guid: str  # the same for every version: "urn:newsdesk:<host>:story:<id>"
    version: int  # 1 for the first, one more for each change partners get
    status: Status
    uri: str  # the story's public address
    language: str  # BCP 47: "en", "prs", "ps"
    kind: str  # "news", "opinion", "editorial", "analysis", "feature"
    headline: str
    summary: str = ""
    body_html: str = ""  # sanitised, links absolute
    dateline: str = ""
    section: str = ""  # the section's name
    section_slug: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[ItemPerson, ...] = ()
    image: ItemImage | None = None
    corrections: tuple[ItemNote, ...] = ()
    updates: tuple[ItemNote, ...] = ()
    first_published_at: dt.datetime | None = None
    version_created_at: dt.datetime | None = None  # when this version was made
    embargo_until: dt.datetime | None = None
    kill_reason: str = ""
    copyright_holder: str = ""
    usage_terms: str = ""
    source_credit: str = ""
    # What made this version: "published", "updated", "corrected", "embargoed",
    # "killed" or "withdrawn" ("" in items stored before it was kept).
    change: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the item as JSON-safe data (times as ISO 8601 strings)."""
        data: dict[str, Any] = _jsonable(asdict(self))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        """Return the item stored by ``to_json``."""
        image = data.get("image")
        return cls(
            **{
                **data,
                "tags": tuple(data.get("tags", ())),
                "authors": tuple(ItemPerson(**a) for a in data.get("authors", ())),
                "image": ItemImage(**image) if image else None,
                "corrections": tuple(_note(n) for n in data.get("corrections", ())),
                "updates": tuple(_note(n) for n in data.get("updates", ())),
                "first_published_at": _time(data.get("first_published_at")),
                "version_created_at": _time(data.get("version_created_at")),
                "embargo_until": _time(data.get("embargo_until")),
            }
        )


def _note(data: dict[str, Any]) -> ItemNote:
    return ItemNote(at=dt.datetime.fromisoformat(data["at"]), text=data["text"])


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
