"""A story's pictures reach readers as small AVIF, WebP and JPEG renditions in the
output folder, never as the original upload, and links to the story share them."""

from __future__ import annotations

import gc
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html  # type: ignore[import-untyped]  # lxml ships no type hints
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.test import Client
from django.urls import reverse
from PIL import ExifTags
from PIL import Image as PILImage
from pytest_django.fixtures import Settings as SettingsWrapper
from wagtail.images import get_image_model
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from newsdesk.accounts.models import User
from newsdesk.publishing.services import site_rebuild
from newsdesk.stories.models import Person, SectionPage, StoryPage
from tests.publishing.conftest import Publish, output_files, read
from tests.stories.factories import make_person, make_story

ALT = 'Boats carry families past the "old bridge" & the market'
NO_ALT_MESSAGE = "alt text is required with a lead image"


# Wagtail's AbstractImage.generate_rendition_file never closes the temporary file it
# makes a rendition in (wagtail/wagtail#14055): garbage-collected later, at any point,
# it warns. These two warnings, and only these, are Wagtail's leak.
pytestmark = [
    pytest.mark.filterwarnings(
        r"ignore:Unclosed file <tempfile\.SpooledTemporaryFile:ResourceWarning"
    ),
    pytest.mark.filterwarnings(
        r"ignore:unclosed file <_io\.BufferedRandom:ResourceWarning"
    ),
]


@pytest.fixture(autouse=True)
def _close_rendition_temp_files() -> Iterator[None]:
    """Close the temporary files Wagtail left open making renditions, so that no
    later test, outside the filters above, is the one to collect them."""
    yield
    for leaked in gc.get_objects():
        # type(), not isinstance(): isinstance() asks a lazy object (the request's
        # user, say) for its class, which loads it from the database after the
        # test's database access has ended.
        if type(leaked) is tempfile.SpooledTemporaryFile and not leaked.closed:
            leaked.close()


def _make_jpeg(path: Path, size: tuple[int, int], *, gps: bool = False) -> Path:
    picture = PILImage.new("RGB", size, (40, 90, 160))
    # A second colour, so the encoders have an edge to keep.
    picture.paste((220, 200, 60), (0, 0, size[0] // 2, size[1] // 3))
    exif = PILImage.Exif()
    if gps:
        exif[ExifTags.Base.Make] = "PhoneMaker"
        exif[ExifTags.Base.DateTime] = "2026:03:14 09:30:00"
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (34.0, 31.0, 12.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (69.0, 10.0, 48.0),
        }
    picture.save(path, "JPEG", quality=90, exif=exif)
    return path


def _image(path: Path, title: str) -> Any:
    with path.open("rb") as upload:
        return get_image_model().objects.create(
            title=title, file=ImageFile(upload, name=path.name)
        )


@pytest.fixture
def photo(db: None, tmp_path: Path) -> Any:
    """A 1600x1000 photo in the image library, as an editor uploads it."""
    return _image(_make_jpeg(tmp_path / "flood.jpg", (1600, 1000)), "Flood")


def _output(url: str) -> Path:
    """Return the output folder's file behind a reader URL or path."""
    return Path(settings.NEWSDESK_OUTPUT_DIR) / urlsplit(url).path.lstrip("/")


def _srcset(value: str) -> list[tuple[str, int]]:
    entries = []
    for entry in value.split(","):
        url, width = entry.split()
        assert width.endswith("w")
        entries.append((url, int(width[:-1])))
    return entries


def _lead_picture(page: str) -> Any:
    pictures = lxml.html.fromstring(page).xpath('//figure[@class="lead-image"]/picture')
    assert len(pictures) == 1, "no lead picture in the page"
    return pictures[0]


# lxml's HTML parser predates <source>: it nests what follows one inside it, so the
# parts of a picture are looked up among its descendants, not its children.
def _sources(picture: Any) -> list[Any]:
    return list(picture.iter("source"))


def _img(picture: Any) -> Any:
    return next(picture.iter("img"))


def _picture_urls(picture: Any) -> set[str]:
    urls = {_img(picture).get("src")}
    for element in [*_sources(picture), _img(picture)]:
        urls |= {url for url, _ in _srcset(element.get("srcset"))}
    return urls


def _json_ld(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match, "no JSON-LD in the page"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _meta(page: str, attribute: str, name: str) -> str | None:
    found = lxml.html.fromstring(page).xpath(f'//meta[@{attribute}="{name}"]/@content')
    return str(found[0]) if found else None


def _publish_with_photo(publish: Publish, photo: Any, **fields: Any) -> StoryPage:
    return publish(
        title="Floods reach Kabul",
        slug="floods",
        lead_image=photo,
        lead_image_alt=ALT,
        **fields,
    )


def test_lead_image_is_a_picture_with_avif_and_webp_sources_and_a_jpeg_fallback(
    publish: Publish, photo: Any
) -> None:
    _publish_with_photo(
        publish,
        photo,
        lead_image_caption="Families leave the riverbank.",
        lead_image_credit="Photo: Farida Noori",
    )

    page = read("world/floods/index.html")
    picture = _lead_picture(page)

    sources = _sources(picture)
    assert [s.get("type") for s in sources] == ["image/avif", "image/webp"]
    for source, suffix in zip(sources, [".avif", ".webp"], strict=True):
        entries = _srcset(source.get("srcset"))
        assert [width for _, width in entries] == [400, 800, 1200]
        assert all(url.endswith(suffix) for url, _ in entries)
        assert source.get("sizes")
    img = _img(picture)
    assert img.get("src").endswith(".jpg")
    assert [width for _, width in _srcset(img.get("srcset"))] == [400, 800, 1200]
    assert (img.get("width"), img.get("height")) == ("800", "500")
    assert img.get("alt") == ALT
    assert img.get("loading") is None  # the lead image is wanted at once
    caption = lxml.html.fromstring(page).xpath(
        '//figure[@class="lead-image"]/figcaption'
    )[0]
    assert caption.text_content() == "Families leave the riverbank. Photo: Farida Noori"


def test_a_small_original_is_offered_once_at_its_own_width(
    publish: Publish, tmp_path: Path
) -> None:
    small = _image(_make_jpeg(tmp_path / "small.jpg", (300, 200)), "Small")

    _publish_with_photo(publish, small)

    picture = _lead_picture(read("world/floods/index.html"))
    for element in [*_sources(picture), _img(picture)]:
        assert [width for _, width in _srcset(element.get("srcset"))] == [300]
    img = _img(picture)
    assert (img.get("width"), img.get("height")) == ("300", "200")


def test_renditions_are_written_into_the_output_folder_and_the_original_is_not(
    publish: Publish, photo: Any
) -> None:
    _publish_with_photo(publish, photo)

    page = read("world/floods/index.html")
    urls = _picture_urls(_lead_picture(page))
    urls |= {image["url"] for image in _json_ld(page)["image"]}

    images = Path(settings.NEWSDESK_OUTPUT_DIR) / "images"
    for url in urls:
        assert _output(url).parent == images, url
        assert _output(url).is_file(), url
    original = Path(photo.file.path)
    assert original.is_relative_to(Path(settings.MEDIA_ROOT))
    original_bytes = original.read_bytes()
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    assert all((root / name).read_bytes() != original_bytes for name in output_files())
    assert original.name not in {Path(name).name for name in output_files()}


def test_renditions_deleted_from_the_output_folder_are_made_again_by_the_next_build(
    publish: Publish, photo: Any
) -> None:
    # given: a published story, then its renditions lost with the output folder's
    # images (a new disk, a cleaned folder)
    _publish_with_photo(publish, photo)
    shutil.rmtree(Path(settings.NEWSDESK_OUTPUT_DIR) / "images")

    # when
    site_rebuild(workers=1)

    # then: every picture the page names is there again
    page = read("world/floods/index.html")
    urls = _picture_urls(_lead_picture(page))
    urls |= {image["url"] for image in _json_ld(page)["image"]}
    missing = sorted(url for url in urls if not _output(url).is_file())
    assert missing == []


def test_renditions_carry_none_of_the_original_s_exif_data(
    publish: Publish, tmp_path: Path
) -> None:
    # given: a phone photo that says where it was taken
    upload = _make_jpeg(tmp_path / "phone.jpg", (1600, 1000), gps=True)
    with PILImage.open(upload) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    phone_photo = _image(upload, "From a phone")

    # when
    _publish_with_photo(publish, phone_photo)

    # then: no rendition the site serves says anything about the camera or place
    renditions = sorted((Path(settings.NEWSDESK_OUTPUT_DIR) / "images").iterdir())
    assert {path.suffix for path in renditions} == {".avif", ".webp", ".jpg"}
    with_exif = []
    for path in renditions:
        with PILImage.open(path) as rendition:
            exif = rendition.getexif()
        if len(exif) or b"Exif" in path.read_bytes():
            with_exif.append(path.name)
    assert with_exif == []


def test_story_page_shares_the_lead_image_in_three_crops_and_a_large_card(
    publish: Publish, photo: Any
) -> None:
    _publish_with_photo(publish, photo)

    page = read("world/floods/index.html")

    crops = _json_ld(page)["image"]
    assert [crop["@type"] for crop in crops] == ["ImageObject"] * 3
    ratios = [crop["width"] / crop["height"] for crop in crops]
    for ratio, expected in zip(ratios, [16 / 9, 4 / 3, 1.0], strict=True):
        assert ratio == pytest.approx(expected, abs=0.01)
    for crop in crops:
        assert crop["url"].startswith("https://news.example/images/")
        with PILImage.open(_output(crop["url"])) as file:
            assert file.size == (crop["width"], crop["height"])
            assert file.format == "JPEG"
    assert crops[0]["width"] == 1200
    og_image = _meta(page, "property", "og:image")
    assert og_image == crops[0]["url"]
    assert _meta(page, "property", "og:image:width") == str(crops[0]["width"])
    assert _meta(page, "property", "og:image:height") == str(crops[0]["height"])
    assert _meta(page, "property", "og:image:alt") == ALT
    assert _meta(page, "name", "twitter:card") == "summary_large_image"
    assert _meta(page, "name", "twitter:image") == og_image


def test_a_story_without_a_lead_image_gets_a_summary_card(publish: Publish) -> None:
    publish(slug="floods")

    page = read("world/floods/index.html")

    assert _meta(page, "name", "twitter:card") == "summary"
    assert _meta(page, "property", "og:image") is None
    assert "image" not in _json_ld(page)
    assert "<picture>" not in page


def test_alt_text_is_required_with_a_lead_image(
    story_factory: Callable[..., StoryPage], photo: Any
) -> None:
    story = story_factory(slug="floods")

    for alt in ["", "   "]:
        story.lead_image = photo
        story.lead_image_alt = alt
        with pytest.raises(ValidationError) as refused:
            story.full_clean()
        assert NO_ALT_MESSAGE in " ".join(refused.value.message_dict["lead_image_alt"])

    story.lead_image_alt = "Boats on the river"
    story.full_clean()
    story.lead_image, story.lead_image_alt = None, ""
    story.full_clean()  # no image, no alt text needed


def _edit_form(story: StoryPage, *, photo: Any, alt: str) -> dict[str, Any]:
    author = story.authors.get()
    form: dict[str, Any] = nested_form_data(
        {
            "title": "Floods reach Kabul",
            "slug": "floods",
            "standfirst": "",
            "dateline": "KABUL",
            "kind": "news",
            "language": "en",
            "authors": inline_formset(
                [{"id": author.pk, "person": author.person_id, "ORDER": 1}], initial=1
            ),
            "lead_image": photo.pk,
            "lead_image_alt": alt,
            "lead_image_caption": "",
            "lead_image_credit": "",
            "body": rich_text("<p>The river rose overnight.</p>"),
            "tags": "",
            "source_credit": "",
            "source_url": "",
            "corrections": inline_formset([]),
            "updates": inline_formset([]),
            "action-publish": "action-publish",
        }
    )
    return form


def _newsroom_publish(
    editor: User, story: StoryPage, form: dict[str, Any], capture: Any
) -> Any:
    """Post the page editor's form with Publish pressed, as the editor; run commits."""
    client = Client()
    client.force_login(editor)
    with capture(execute=True):
        return client.post(reverse("wagtailadmin_pages:edit", args=[story.pk]), form)


def test_the_newsroom_cannot_publish_a_lead_image_without_alt_text(
    editor: User,
    section: SectionPage,
    photo: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a draft story
    story = make_story(section=section, authors=[make_person(name="Farida Noori")])

    # when: the editor picks a lead image, leaves its alt text empty and publishes
    response = _newsroom_publish(
        editor,
        story,
        _edit_form(story, photo=photo, alt=" "),
        django_capture_on_commit_callbacks,
    )

    # then: refused, saying why, and nothing at all reaches the reader site's folder
    assert response.status_code == 200
    assert NO_ALT_MESSAGE in response.content.decode()
    story.refresh_from_db()
    assert not story.live
    assert output_files() == set()


def test_the_newsroom_publishes_a_lead_image_with_its_alt_text(
    editor: User,
    section: SectionPage,
    photo: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    story = make_story(section=section, authors=[make_person(name="Farida Noori")])

    response = _newsroom_publish(
        editor,
        story,
        _edit_form(story, photo=photo, alt=ALT),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.live
    assert _img(_lead_picture(read("world/floods/index.html"))).get("alt") == ALT


def test_an_image_in_the_body_is_a_lazy_picture_inside_the_story_body(
    publish: Publish, photo: Any
) -> None:
    publish(
        slug="floods",
        body=(
            "<p>Boats took families uphill.</p>"
            f'<embed alt="Boats on the river" embedtype="image" format="fullwidth"'
            f' id="{photo.pk}"/>'
            "<p>The water fell by evening.</p>"
        ),
    )

    page = read("world/floods/index.html")

    body = lxml.html.fromstring(page).xpath('//article/div[@class="body"]')[0]
    figures = body.xpath('.//figure[@class="inline-image"]')
    assert len(figures) == 1
    picture = figures[0].find("picture")
    assert [s.get("type") for s in _sources(picture)] == [
        "image/avif",
        "image/webp",
    ]
    img = _img(picture)
    assert img.get("alt") == "Boats on the river"
    assert img.get("loading") == "lazy"
    assert int(img.get("width")) > 0
    assert int(img.get("height")) > 0
    assert all(_output(url).is_file() for url in _picture_urls(picture))
    assert "Boats took families uphill." in body.text_content()
    assert "The water fell by evening." in body.text_content()


def test_a_preview_s_pictures_stay_out_of_the_reader_site_until_it_is_published(
    editor: User,
    section: SectionPage,
    photo: Any,
    client: Client,
    rf: Any,
    django_capture_on_commit_callbacks: Any,
    settings: SettingsWrapper,
) -> None:
    # given: a draft with a lead image, previewed in the newsroom
    story = make_story(
        section=section,
        slug="floods",
        lead_image=photo,
        lead_image_alt=ALT,
        authors=[make_person(name="Farida Noori")],
    )
    draft = story.get_latest_revision_as_object()
    preview = draft.serve_preview(rf.get("/"), draft.default_preview_mode)
    urls = _picture_urls(_lead_picture(preview.render().content.decode()))
    assert urls

    # then: none of its pictures is in the output folder; the app shows them only
    # to the newsroom
    assert output_files() == set()
    url = sorted(urls)[0]
    assert client.get(url).status_code == 404
    client.force_login(editor)
    shown = client.get(url)
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "private, no-store"
    assert shown["Content-Type"].startswith("image/")
    assert b"".join(shown.streaming_content)
    client.logout()
    # (and not to someone with the password alone where two factors are required)
    settings.NEWSDESK_TWO_FACTOR_REQUIRED = True
    client.force_login(editor)
    assert client.get(url).status_code == 404
    client.logout()

    # when: the story is published
    with django_capture_on_commit_callbacks(execute=True):
        story.get_latest_revision().publish()

    # then: its page and every picture it shows are on the site
    page = read("world/floods/index.html")
    published = _picture_urls(_lead_picture(page))
    published |= {image["url"] for image in _json_ld(page)["image"]}
    assert all(_output(url).is_file() for url in published)


def test_only_renditions_under_the_media_images_folder_are_ever_shown(
    editor: User, client: Client, photo: Any
) -> None:
    client.force_login(editor)

    for name in (
        "../newsdesk.sqlite3",
        "original_images/flood.jpg",
        "flood.max-165x165.jpg",  # a newsroom thumbnail, not a reader rendition
    ):
        assert client.get(f"/images/{name}").status_code == 404, name


def test_an_author_page_shows_the_person_s_portrait(
    publish: Publish, photo: Any
) -> None:
    person = make_person(name="Farida Noori", photo=photo, bio="Reports from Herat.")
    publish(slug="floods", authors=[person])

    page = read("authors/farida-noori/index.html")

    portrait = lxml.html.fromstring(page).xpath('//div[@class="portrait"]/picture')
    assert len(portrait) == 1
    assert _img(portrait[0]).get("alt") == "Farida Noori"
    assert all(_output(url).is_file() for url in _picture_urls(portrait[0]))
    site_rebuild(workers=1)
    rebuilt = read("authors/farida-noori/index.html")
    assert 'class="portrait"' in rebuilt


def test_an_editor_edits_a_person_s_bio_and_portrait_in_the_newsroom(
    editor: User, photo: Any
) -> None:
    person = Person.objects.create(name="Farida Noori")
    client = Client()
    client.force_login(editor)

    listing = client.get(reverse("wagtailsnippets_stories_person:list"))
    assert listing.status_code == 200
    assert "Farida Noori" in listing.content.decode()

    response = client.post(
        reverse("wagtailsnippets_stories_person:edit", args=[person.pk]),
        {
            "name": "Farida Noori",
            "slug": "farida-noori",
            "kind": Person.Kind.CONTRIBUTOR,
            "bio": "Reports from Herat.",
            "photo": photo.pk,
            "user": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert person.bio == "Reports from Herat."
    assert person.photo == photo


def test_a_user_without_a_newsroom_role_cannot_edit_people(outsider: User) -> None:
    person = Person.objects.create(name="Farida Noori")
    client = Client()
    client.force_login(outsider)

    response = client.get(
        reverse("wagtailsnippets_stories_person:edit", args=[person.pk])
    )

    assert response.status_code in {302, 403}
