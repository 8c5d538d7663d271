"""Wagtail's page privacy (password, signed-in users, groups) cannot be kept by a
reader site of static files, so the newsroom does not offer it: an editor is never
led to think a story is private while the site publishes it to everyone."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import PageViewRestriction

from newsdesk.accounts.models import User
from newsdesk.stories.models import HomePage, SectionPage
from tests.conftest import Publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(editor: User) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def test_no_page_offers_privacy_settings(
    signed_in: Client, publish: Publish, home: HomePage, section: SectionPage
) -> None:
    story = publish(title="A story that cannot be made private")

    for page in (home, section, story):
        response = signed_in.get(
            reverse("wagtailadmin_pages:set_privacy", args=[page.pk])
        )
        assert response.status_code == 200
        assert "has been disabled" in json.loads(response.content)["html"]


def test_a_privacy_setting_posted_anyway_is_not_kept(
    signed_in: Client, publish: Publish
) -> None:
    story = publish(title="A story that cannot be made private")

    signed_in.post(
        reverse("wagtailadmin_pages:set_privacy", args=[story.pk]),
        {"restriction_type": "password", "password": "open-sesame"},
    )

    assert not PageViewRestriction.objects.exists()
