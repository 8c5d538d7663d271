"""Contributor profiles: a pen name in the byline, a public bio and photo, private
contact details, and the writer's agreement to the contributor terms."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.images import ImageFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper
from wagtail.images import get_image_model

from newsdesk.accounts.models import User
from newsdesk.contributions.models import Contributor, Submission
from newsdesk.contributions.profiles import contributor_get_or_create
from newsdesk.contributions.services import submission_accept, submission_receive
from newsdesk.stories.models import SectionPage, StoryPage
from tests.publishing.conftest import output_files, read

from .test_services import parsed

pytestmark = pytest.mark.django_db

EDIT = "wagtailsnippets_contributions_contributor:edit"


def _profile_form(contributor: Contributor, **changes: Any) -> dict[str, Any]:
    """Return the profile form's fields as the edit page would post them."""
    person = contributor.person
    data = {
        "pen_name": contributor.pen_name,
        "bio": person.bio,
        "photo": person.photo_id or "",
        "name": contributor.name,
        "email": contributor.email,
        "phone": contributor.phone,
        "contact_notes": contributor.contact_notes,
    }
    data.update(changes)
    return data


def _published_story_by(
    contributor_email: str,
    section: SectionPage,
    editor: User,
    capture: Any,
) -> StoryPage:
    """Accept a submission from the address and publish it through Wagtail."""
    submission = submission_receive(
        parsed=parsed(sender_email=contributor_email), raw=None
    )
    story = submission_accept(submission=submission, section=section, by=editor)
    with capture(execute=True):
        story.save_revision(user=editor).publish()
    story.refresh_from_db()
    return story


def test_a_pen_name_replaces_the_writers_name_everywhere_on_the_site(
    section: SectionPage,
    editor: User,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a published story by Farida Noori, with her author page
    story = _published_story_by(
        "farida@writers.example", section, editor, django_capture_on_commit_callbacks
    )
    contributor = Contributor.objects.get()
    assert "Farida Noori" in read(f"{story.url.strip('/')}/index.html")
    assert "authors/farida-noori/index.html" in output_files()

    # when: an editor gives her a pen name and private details in the newsroom
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(EDIT, args=[contributor.pk]),
            _profile_form(
                contributor,
                pen_name="Sahar Kabuli",
                phone="+93 70 000 0000",
                contact_notes="Signal only; never call after dark.",
            ),
        )

    # then: the byline and the author page's address carry the pen name; her own
    # name, phone and notes are nowhere on the site, and no page links the two
    assert response.status_code == 302, response.content.decode()[:2000]
    contributor.refresh_from_db()
    assert contributor.person.name == "Sahar Kabuli"
    assert contributor.person.slug == "sahar-kabuli"
    files = output_files()
    assert "authors/sahar-kabuli/index.html" in files
    assert not any(name.startswith("authors/farida-noori/") for name in files)
    root = Path(settings.NEWSDESK_OUTPUT_DIR)
    for name in files:
        text = (root / name).read_text("utf-8", errors="replace")
        for secret in ("Farida", "farida", "+93 70", "Signal only"):
            assert secret not in text, (name, secret)
    assert "Sahar Kabuli" in read(f"{story.url.strip('/')}/index.html")


def test_the_profile_page_edits_the_public_bio_and_photo_beside_private_details(
    editor: User, client: Client
) -> None:
    contributor = contributor_get_or_create(
        email="farida@writers.example", name="Farida Noori"
    )
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (90, 120, 150)).save(buffer, "JPEG")
    photo = get_image_model().objects.create(
        title="Farida", file=ImageFile(buffer, name="farida.jpg")
    )
    client.force_login(editor)

    page = client.get(reverse(EDIT, args=[contributor.pk])).content.decode()
    assert "Byline (public)" in page
    assert "Private: editors only" in page

    response = client.post(
        reverse(EDIT, args=[contributor.pk]),
        _profile_form(
            contributor,
            bio="Writes on water and farming in the north.",
            photo=photo.pk,
            email="Farida.New@Writers.Example",
        ),
    )

    assert response.status_code == 302
    contributor.refresh_from_db()
    assert contributor.email == "farida.new@writers.example"
    assert contributor.person.bio == "Writes on water and farming in the north."
    assert contributor.person.photo_id == photo.pk
    assert contributor.person.name == "Farida Noori"  # no pen name: her own


def test_an_editor_adds_a_writer_who_sent_work_on_paper(
    editor: User, client: Client
) -> None:
    client.force_login(editor)

    response = client.post(
        reverse("wagtailsnippets_contributions_contributor:add"),
        {
            "pen_name": "",
            "bio": "",
            "photo": "",
            "name": "Ahmad Zia",
            "email": "ahmad@writers.example",
            "phone": "",
            "contact_notes": "Sends typed pages through the Herat office.",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    contributor = Contributor.objects.get()
    assert contributor.person.name == "Ahmad Zia"


def test_a_second_profile_for_the_same_address_is_refused(
    editor: User, client: Client
) -> None:
    contributor_get_or_create(email="farida@writers.example", name="Farida Noori")
    client.force_login(editor)

    response = client.post(
        reverse("wagtailsnippets_contributions_contributor:add"),
        {"name": "Someone", "email": "FARIDA@writers.example"},
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Contributor.objects.count() == 1


def test_private_details_are_for_the_newsroom_only(
    outsider: User, client: Client
) -> None:
    contributor = contributor_get_or_create(
        email="farida@writers.example", name="Farida Noori"
    )
    client.force_login(outsider)

    response = client.get(reverse(EDIT, args=[contributor.pk]))
    listing = client.get(reverse("wagtailsnippets_contributions_contributor:list"))

    assert response.status_code in (302, 403)
    assert listing.status_code in (302, 403)
    assert b"farida@writers.example" not in response.content + listing.content


def _status_path(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/contribute/status/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_confirming_a_first_submission_agrees_to_the_terms(
    settings: SettingsWrapper,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.NEWSDESK_CONFIRM_NEW_WRITERS = True
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_receive(parsed=parsed(), raw=None)
    path = f"/contribute/confirm/{submission.status_token}/"

    page = client.get(path).content.decode()
    assert 'href="/contribute/"' in page  # where the terms are
    assert "agree" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)

    contributor = Contributor.objects.get()
    assert contributor.terms_agreed_at is not None
    assert contributor.terms_version == settings.NEWSDESK_CONTRIBUTOR_TERMS_VERSION


def test_a_known_writer_agrees_on_the_status_page_and_again_when_terms_change(
    settings: SettingsWrapper,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a writer the agency knew before it had terms, sending a story
    contributor = contributor_get_or_create(
        email="farida@writers.example", name="Farida Noori"
    )
    with django_capture_on_commit_callbacks(execute=True):
        submission_receive(parsed=parsed(), raw=None)
    path = _status_path(mail.outbox[-1])

    # then: the status page asks for her agreement, and records it when she gives it
    assert "I agree to the contributor terms" in client.get(path).content.decode()
    answered = client.post(path, {"agree": "1"})
    assert answered.status_code == 200
    assert "I agree to the contributor terms" not in answered.content.decode()
    contributor.refresh_from_db()
    agreed_at = contributor.terms_agreed_at
    assert agreed_at is not None

    # when the terms change, she is asked again; agreeing again is recorded
    settings.NEWSDESK_CONTRIBUTOR_TERMS_VERSION = "2"
    assert "I agree to the contributor terms" in client.get(path).content.decode()
    client.post(path, {"agree": "1"})
    contributor.refresh_from_db()
    assert contributor.terms_version == "2"


def test_a_held_submission_cannot_agree_to_anything_for_the_address(
    client: Client,
) -> None:
    submission = submission_receive(parsed=parsed(), raw=None)
    Submission.objects.filter(pk=submission.pk).update(
        state=Submission.State.QUARANTINED
    )
    path = f"/contribute/status/{submission.status_token}/"

    page = client.post(path, {"agree": "1"})

    assert "I agree to the contributor terms" not in page.content.decode()
    assert not Contributor.objects.filter(terms_agreed_at__isnull=False).exists()
