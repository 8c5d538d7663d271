"""The app never renders reader pages: they are files; it answers only what is missing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Publish


def test_the_app_answers_a_live_story_s_address_with_not_found(
    publish: Publish, client: Client
) -> None:
    # The web server serves the file; a request reaching the app means it is missing.
    story = publish(slug="floods")

    response = client.get("/world/floods/")

    assert response.status_code == 404
    assert story.url == "/world/floods/"  # Wagtail still knows where it lives


@pytest.mark.django_db
def test_the_app_answers_an_unknown_address_with_not_found(client: Client) -> None:
    assert client.get("/nowhere/at-all/").status_code == 404
