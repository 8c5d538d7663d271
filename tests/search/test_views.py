"""GET /search/: the reader search page, its headers, and what it never keeps."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client

from newsdesk.accounts.models import User
from newsdesk.publishing.server import CONTENT_SECURITY_POLICY, OutputFolderApp
from newsdesk.search.selectors import PAGE_SIZE
from newsdesk.search.text import QUERY_MAX_LENGTH

from .conftest import Publish
from .test_selectors import DARI_BODY, DARI_TITLE, HOSTILE_QUERIES

pytestmark = pytest.mark.django_db

SECRET_QUERY = "safehouse kandahar"


def search(client: Client, **params: Any) -> Any:
    return client.get("/search/?" + urlencode(params))


def assert_reader_headers(response: Any) -> None:
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    assert "cookie" not in response.get("Vary", "").lower()


def test_results_list_the_matching_stories(client: Client, indexed: Publish) -> None:
    story = indexed(title="Drought grips the north", standfirst="No rain again.")
    indexed(title="Elections delayed")

    response = search(client, q="drought")

    assert response.status_code == 200
    assert response.templates[0].name == "search/search_results.html"
    html = response.content.decode()
    assert '<a href="/world/' + story.slug + '/">Drought grips the north</a>' in html
    assert "1 story found for “<bdi>drought</bdi>”" in html
    assert "<mark>Drought</mark>" not in html  # the headline is not marked up
    assert "Elections delayed" not in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'value="drought"' in html
    assert_reader_headers(response)


def test_a_page_carries_no_script_and_nothing_from_elsewhere(
    client: Client, indexed: Publish
) -> None:
    indexed(title="Drought grips the north")

    html = search(client, q="drought").content.decode()

    assert "<script" not in html
    assert not re.search(r'(?:src|href|action)="(?:https?:)?//', html)
    assert '<link rel="canonical"' not in html


def test_each_result_carries_its_language_and_direction(
    client: Client, indexed: Publish
) -> None:
    indexed(title=DARI_TITLE, body=DARI_BODY, language="prs")

    html = search(client, q="سیلاب").content.decode()

    assert '<html lang="en" dir="ltr">' in html
    assert '<li class="teaser" lang="prs" dir="rtl">' in html
    assert "<mark>سیلاب</mark>" in html


def test_the_query_is_shown_escaped(client: Client, indexed: Publish) -> None:
    response = search(client, q='<script>alert("x")</script>')

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>" not in html
    assert 'value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in html


def test_no_results_say_so(client: Client, indexed: Publish) -> None:
    indexed(title="Drought grips the north")

    response = search(client, q="volcano")

    assert response.status_code == 200
    assert "No stories found for “<bdi>volcano</bdi>”" in response.content.decode()
    assert_reader_headers(response)


def test_an_empty_query_lists_no_stories(client: Client, indexed: Publish) -> None:
    indexed(title="Drought grips the north")

    for response in (
        client.get("/search/"),
        search(client, q="  "),
        search(client, q='"'),
    ):
        html = response.content.decode()
        assert response.status_code == 200
        assert '<li class="teaser"' not in html
        assert "Drought" not in html
        assert_reader_headers(response)
    assert "Type one or more words" in client.get("/search/").content.decode()


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_get_a_page(client: Client, query: str) -> None:
    response = search(client, q=query)

    assert response.status_code == 200
    assert_reader_headers(response)


def test_a_query_over_the_limit_is_a_bad_request(client: Client) -> None:
    response = search(client, q="x" * (QUERY_MAX_LENGTH + 1))

    assert response.status_code == 400
    html = response.content.decode()
    assert f"a search can be up to {QUERY_MAX_LENGTH}" in html
    assert 'role="alert"' in html
    assert_reader_headers(response)


def test_a_query_at_the_limit_is_answered(client: Client) -> None:
    assert search(client, q="x" * QUERY_MAX_LENGTH).status_code == 200


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "2", "99999999999"])
def test_a_page_that_does_not_exist_is_not_found(
    client: Client, indexed: Publish, page: str
) -> None:
    indexed(title="Drought grips the north")

    response = search(client, q="drought", page=page)

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert_reader_headers(response)


def test_results_come_in_numbered_pages(client: Client, indexed: Publish) -> None:
    for n in range(PAGE_SIZE + 1):
        indexed(title=f"Market report {n}")

    first = search(client, q="market report").content.decode()
    second = search(client, q="market report", page=2).content.decode()

    assert first.count('<li class="teaser"') == PAGE_SIZE
    assert f"{PAGE_SIZE + 1} stories found" in first
    assert "page 1 of 2" in first
    assert '<link rel="next" href="/search/?q=market+report&amp;page=2">' in first
    assert 'rel="prev"' not in first
    assert '<a href="/search/?q=market+report&amp;page=2" rel="next">' in first
    assert second.count('<li class="teaser"') == 1
    assert '<ol class="teasers search-results" start="21">' in second
    assert '<link rel="prev" href="/search/?q=market+report">' in second
    assert '<a href="/search/?q=market+report" rel="prev">' in second
    assert 'rel="next"' not in second
    assert (
        '<a href="/search/?q=market+report&amp;page=2" aria-current="page">2</a>'
        in second
    )


def test_a_signed_in_editor_gets_the_same_cacheable_page(
    client: Client, indexed: Publish, editor: User
) -> None:
    indexed(title="Drought grips the north")
    anonymous = search(client, q="drought")
    client.force_login(editor)

    signed_in = search(client, q="drought")

    assert signed_in.content == anonymous.content
    assert_reader_headers(signed_in)


def test_only_get_and_head_are_answered(client: Client) -> None:
    assert client.head("/search/?q=x").status_code == 200
    response = client.post("/search/", {"q": "x"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert_reader_headers(response)


def test_no_query_is_logged(
    client: Client, indexed: Publish, caplog: pytest.LogCaptureFixture
) -> None:
    indexed(title="Safehouse raided in Kandahar")
    caplog.set_level(logging.DEBUG)

    responses = [
        search(client, q=SECRET_QUERY),
        search(client, q=SECRET_QUERY, page=9),
        search(client, q=SECRET_QUERY + " " + "x" * QUERY_MAX_LENGTH),
        client.post("/search/?" + urlencode({"q": SECRET_QUERY})),
    ]

    assert [r.status_code for r in responses] == [200, 404, 400, 405]
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert "safehouse" not in text.lower()
        assert "kandahar" not in text.lower()


# --- behind the built-in server ------------------------------------------------------


@pytest.fixture
def django_app(tmp_path: Path, db: None) -> Iterator[OutputFolderApp]:
    """The reader layer in front of the real Django application."""
    site = tmp_path / "folder"
    site.mkdir()
    (site / "index.html").write_text("<p>Front</p>")
    (site / "404.html").write_text("<p>Site 404</p>")
    # As Django's test client does: the test's transaction must outlive a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield OutputFolderApp(get_wsgi_application(), root=site)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_built_in_server_hands_search_to_django(
    django_app: OutputFolderApp, indexed: Publish
) -> None:
    indexed(title="Drought grips the north")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/search/",
        "QUERY_STRING": "q=drought",
    }
    setup_testing_defaults(environ)
    answer: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], *exc_info: Any
    ) -> Any:
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(django_app(environ, start_response)).decode()

    assert answer["status"] == "200 OK"
    assert "Drought grips the north" in body
    assert answer["headers"]["Cache-Control"] == "public, max-age=60"
    assert "Set-Cookie" not in answer["headers"]
