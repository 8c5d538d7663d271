"""Schemathesis reads the read API's own OpenAPI document and throws generated
requests, valid and not, at every operation: none may answer with a server error,
and every answer must be one the document describes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from pytest_django.fixtures import Settings as SettingsWrapper
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from newsdesk.stories.models import HomePage
from tests.conftest import Publish
from tests.stories.factories import make_person, make_section

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def connection_kept() -> Iterator[None]:
    """Keep the test's database connection open across requests, as Django's test
    client does: the WSGI handler would close it at the end of each request, and
    with it the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def archive(publish: Publish, home: HomePage, settings: SettingsWrapper) -> None:
    """The API over a small archive: stories in two sections and three languages,
    an embargoed one, tags and authors; no rate limit in the way."""
    settings.NEWSDESK_API_REQUESTS_PER_MINUTE = 1_000_000
    cache.clear()
    sport = make_section(home, title="Sport")
    amina = make_person(name="Amina Rahimi", slug="amina")
    publish(title="Floods close the Salang road", authors=[amina])
    publish(title="سیلاب در سالنگ", language="prs", section=sport, kind="opinion")
    publish(title="پښتو خبر", language="ps")
    publish(title="Held back", embargo_until=timezone.now() + timedelta(hours=1))


# The document is read from the application itself, as a client would.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_every_generated_request_as_documented(
    case: Any, archive: None
) -> None:
    case.call_and_validate(checks=CHECKS)
