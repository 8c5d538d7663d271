"""Photos a writer sends become images in the newsroom's library, captioned and
credited from the message; a file that is no usable photo is left out, saying why."""

from __future__ import annotations

import io
from email.message import EmailMessage
from typing import Any

import pillow_heif
import pytest
from PIL import Image as PILImage
from wagtail.images import get_image_model

from newsdesk.accounts.models import User
from newsdesk.contributions.photos import PhotoError, photo_check, photo_texts
from newsdesk.contributions.services import raw_message_parse, submission_accept
from newsdesk.stories.models import SectionPage, StoryPage

from .test_services import stored_raw


def _image(image_format: str, size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    if image_format == "HEIF":
        pillow_heif.register_heif_opener()
    PILImage.new("RGB", size, (30, 90, 160)).save(out, format=image_format)
    return out.getvalue()


def test_captions_and_credits_are_read_from_the_message() -> None:
    text = (
        "Dear editor, two photos.\n"
        "river.jpg: Boats on the Kabul river. Photo: Farida Noori\n"
        "bridge.png — The old bridge at dusk\n"
        "Credit: Ali Reza\n"
    )

    found = photo_texts(text, ["river.jpg", "bridge.png", "street.jpg"])

    assert (found["river.jpg"].caption, found["river.jpg"].credit) == (
        "Boats on the Kabul river.",
        "Farida Noori",
    )
    assert (found["bridge.png"].caption, found["bridge.png"].credit) == (
        "The old bridge at dusk.",
        "Ali Reza",
    )
    assert (found["street.jpg"].caption, found["street.jpg"].credit) == ("", "Ali Reza")


def test_a_phone_s_heic_photo_becomes_a_jpeg() -> None:
    photo = photo_check("IMG_0042.HEIC", _image("HEIF"))

    assert photo.filename == "IMG_0042.jpg"
    with PILImage.open(io.BytesIO(photo.data)) as image:
        assert image.format == "JPEG"
        assert image.size == (640, 480)


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("notes.jpg", b"these are words, not a picture", "not an image"),
        ("huge.png", _image("PNG", (9000, 8000)), "more than the 60 megapixels"),
        ("drawing.bmp", _image("BMP", (20, 20)), "not a photo we can use"),
    ],
)
def test_a_file_that_is_no_usable_photo_is_refused_saying_why(
    name: str, data: bytes, says: str
) -> None:
    with pytest.raises(PhotoError, match=says):
        photo_check(name, data)


def test_accepting_puts_the_photos_in_the_library_and_the_captioned_one_on_the_draft(
    editor: User, section: SectionPage, tmp_path: Any
) -> None:
    message = EmailMessage()
    message["From"] = "Farida Noori <farida@writers.example>"
    message["To"] = "stories@news.example"
    message["Subject"] = "Floods reach the capital"
    message["Message-ID"] = "<photos@writers.example>"
    message.set_content(
        "The river rose overnight.\n\n"
        "river.jpg: Boats on the Kabul river. Photo: Farida Noori\n"
    )
    for name, data in (
        ("street.jpg", _image("JPEG")),
        ("river.jpg", _image("JPEG")),
        ("broken.jpg", b"not a picture at all"),
    ):
        message.add_attachment(data, maintype="image", subtype="jpeg", filename=name)
    submission = raw_message_parse(raw=stored_raw(bytes(message)))
    assert submission is not None

    story = submission_accept(submission=submission, section=section, by=editor)

    draft = StoryPage.objects.get(pk=story.pk)
    assert draft.lead_image is not None
    assert draft.lead_image.title == "Boats on the Kabul river."
    assert draft.lead_image_alt == "Boats on the Kabul river."
    assert draft.lead_image_caption == "Boats on the Kabul river."
    assert draft.lead_image_credit == "Farida Noori"
    images = get_image_model().objects.filter(collection=draft.lead_image.collection)
    assert sorted(image.title for image in images) == [
        "Boats on the Kabul river.",
        "street.jpg",
    ]
    submission.refresh_from_db()
    assert any("broken.jpg" in p for p in submission.problems)
