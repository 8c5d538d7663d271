"""IPTC ninjs (https://iptc.org/standards/ninjs/): one item as a JSON object, in
version 3.1 and, for older tools, 2.2.

ninjs 2.x names the same properties in lower case (``versioncreated``,
``pubstatus``, ``contenttype``), except that 3.x renamed ``embargoed`` to
``embargoedUntil``; so the 2.2 document is the 3.1 document with its names
changed. Both schemas refuse any property they do not define, at every level.

Where the ninjs property for something is free text (a description's ``role``, a
subject's ``literal``), the value follows the IPTC guide and its examples: the
1.x ``body_html`` and ``description_text`` became ``bodies`` and ``descriptions``
with the roles "html" and "text"; a photo's caption and credit are descriptions
with the roles "caption" and "creditline", as in AP's samples.
"""

from __future__ import annotations

from collections.abc import Mapping

from newsdesk.syndication.items import Item, ItemImage

from ._common import (
    GENRE_NAMES,
    JsonObject,
    JsonValue,
    byline,
    clean,
    clean_line,
    editor_notes,
    is_withdrawn,
    iso,
    plain_text,
    version_created,
)

NINJS3_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
NINJS2_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json#"
# The association's name says what the associated object is to the story; IPTC's
# multimedia example calls the story's main picture "mainpic".
IMAGE_ASSOCIATION = "mainpic"

_NINJS2_NAMES = {"embargoedUntil": "embargoed"}


def ninjs3(item: Item) -> JsonObject:
    """Return the item as an IPTC ninjs 3.1 document."""
    return _document(item, version="3.1", schema=NINJS3_SCHEMA)


def ninjs2(item: Item) -> JsonObject:
    """Return the item as an IPTC ninjs 2.2 document."""
    document = _document(item, version="2.2", schema=NINJS2_SCHEMA)
    return {_NINJS2_NAMES.get(k, k.lower()): _ninjs2(v) for k, v in document.items()}


def _ninjs2(value: JsonValue) -> JsonValue:
    if isinstance(value, Mapping):
        return {_NINJS2_NAMES.get(k, k.lower()): _ninjs2(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ninjs2(v) for v in value]
    return value


def _document(item: Item, *, version: str, schema: str) -> JsonObject:
    withdrawn = is_withdrawn(item)
    document: JsonObject = {
        "uri": clean(item.guid),
        "standard": {"name": "ninjs", "version": version, "schema": schema},
        "type": "text",
        # A kill or withdrawal names the story but no longer carries its copy.
        "representationType": "partial" if withdrawn else "full",
        "version": str(item.version),
        "versionCreated": iso(version_created(item)),
        "pubStatus": item.status,
    }
    if item.first_published_at is not None:
        document["firstCreated"] = iso(item.first_published_at)
    if item.embargo_until is not None:
        document["embargoedUntil"] = iso(item.embargo_until)
    if item.language:
        document["language"] = clean_line(item.language)
    if notes := editor_notes(item):
        document["edNote"] = " ".join(notes)
    if item.copyright_holder:
        document["copyrightHolder"] = clean_line(item.copyright_holder)
    if item.usage_terms:
        document["usageTerms"] = clean_line(item.usage_terms)
    document["headlines"] = [
        {
            "role": "main",
            "contentType": "text/plain",
            "value": clean_line(item.headline),
        }
    ]
    if withdrawn:
        return document

    if by := byline(item):
        document["by"] = by
    people, organisations = _authors(item)
    if people:
        document["people"] = people
    if organisations:
        document["organisations"] = organisations
    if item.dateline:
        document["located"] = clean_line(item.dateline)
    if item.kind:
        document["genres"] = [
            {
                "name": GENRE_NAMES.get(item.kind, item.kind.title()),
                "literal": clean_line(item.kind),
            }
        ]
    if subjects := _subjects(item):
        document["subjects"] = subjects
    if descriptions := _descriptions(item):
        document["descriptions"] = descriptions
    if item.body_html.strip():
        document["bodies"] = [
            {
                "role": "html",
                "contentType": "text/html",
                "value": clean(item.body_html),
            },
            {
                "role": "text",
                "contentType": "text/plain",
                "value": plain_text(item.body_html),
            },
        ]
    if item.uri:
        # The story's page on the reader site, as IPTC's "web" rendition.
        document["renditions"] = [
            {"name": "web", "href": clean(item.uri), "contentType": "text/html"}
        ]
    if item.image is not None and item.image.uri:
        document["associations"] = [_image(item.image)]
    return document


def _authors(item: Item) -> tuple[list[JsonValue], list[JsonValue]]:
    people: list[JsonValue] = []
    organisations: list[JsonValue] = []
    for author in item.authors:
        name = clean_line(author.name)
        if not name:
            continue
        entry: JsonObject = {"name": name, "rel": "author"}
        if author.uri:
            entry["uri"] = clean(author.uri)
        (organisations if author.kind == "organisation" else people).append(entry)
    return people, organisations


def _subjects(item: Item) -> list[JsonValue]:
    # The section and the tags are the agency's own words, not an IPTC vocabulary:
    # a name to show and a literal that tells section from tag, and no scheme URI.
    subjects: list[JsonValue] = []
    if section := clean_line(item.section):
        slug = clean_line(item.section_slug) or section
        subjects.append({"name": section, "literal": f"section:{slug}"})
    for tag in item.tags:
        if name := clean_line(tag):
            subjects.append({"name": name, "literal": f"tag:{name}"})
    return subjects


def _descriptions(item: Item) -> list[JsonValue]:
    descriptions: list[JsonValue] = []
    if summary := clean_line(item.summary):
        descriptions.append(
            {"role": "text", "contentType": "text/plain", "value": summary}
        )
    if credit := clean_line(item.source_credit):
        descriptions.append(
            {"role": "creditline", "contentType": "text/plain", "value": credit}
        )
    # Corrections and updates are published with the story; a description holds
    # only text, so each starts with its time.
    for note in sorted(item.corrections, key=lambda n: n.at):
        descriptions.append(
            {
                "role": "correction",
                "contentType": "text/plain",
                "value": f"{iso(note.at)}: {clean_line(note.text)}",
            }
        )
    for note in sorted(item.updates, key=lambda n: n.at):
        at = iso(note.at)
        descriptions.append(
            {
                "role": "update",
                "contentType": "text/html",
                "value": f'<p><time datetime="{at}">{at}</time></p>{clean(note.text)}',
            }
        )
    return descriptions


def _image(image: ItemImage) -> JsonObject:
    uri = clean(image.uri)
    rendition: JsonObject = {"name": "main", "href": uri}
    if image.media_type:
        rendition["contentType"] = clean_line(image.media_type)
    if image.width > 0 and image.height > 0:
        rendition["width"] = image.width
        rendition["height"] = image.height
    association: JsonObject = {
        "name": IMAGE_ASSOCIATION,
        "uri": uri,
        "type": "picture",
        "renditions": [rendition],
    }
    descriptions: list[JsonValue] = [
        {"role": role, "contentType": "text/plain", "value": value}
        for role, value in (
            ("caption", clean_line(image.caption)),
            ("alt", clean_line(image.alt)),
            ("creditline", clean_line(image.credit)),
        )
        if value
    ]
    if descriptions:
        association["descriptions"] = descriptions
    return association
