"""Forgers stay out of the queue: the agency's mail server's SPF, DKIM and DMARC
findings are read from the headers it adds, and a failure holds the message apart."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.accounts.models import User
from newsdesk.contributions.authentication import (
    authentication_failure,
    authentication_read,
)
from newsdesk.contributions.models import Submission
from newsdesk.contributions.services import submission_accept, submission_receive
from newsdesk.stories.models import SectionPage

from .test_services import parsed

MX = "mx.news.example"
PASSING = f"{MX}; spf=pass smtp.mailfrom=writers.example; dkim=pass header.d=writers.example; dmarc=pass header.from=writers.example"
DMARC_FAIL = f"{MX}; spf=fail smtp.mailfrom=writers.example; dkim=none; dmarc=fail (p=reject) header.from=writers.example"


def test_the_trusted_server_s_results_are_read_with_their_comments_ignored() -> None:
    results = authentication_read(
        [
            f"{MX} (version 1); spf=pass (sender OK) smtp.mailfrom=a.example; "
            "dkim=fail (bad signature) header.d=a.example; dmarc=pass"
        ],
        authserv_id=MX,
    )

    assert results.checked
    assert results.passed("spf")
    assert results.failed("dkim")
    assert results.passed("dmarc")
    assert authentication_failure(results) == ""


def test_a_dmarc_failure_is_a_forgery() -> None:
    results = authentication_read([DMARC_FAIL], authserv_id=MX)

    assert "DMARC failed" in authentication_failure(results)


def test_neither_spf_nor_dkim_vouching_and_one_failing_is_a_forgery() -> None:
    results = authentication_read([f"{MX}; spf=softfail; dkim=fail"], authserv_id=MX)

    assert "DKIM failed" in authentication_failure(results)
    alright = authentication_read([f"{MX}; spf=pass; dkim=fail"], authserv_id=MX)
    assert authentication_failure(alright) == ""


def test_headers_the_sender_wrote_below_the_trusted_ones_are_not_believed() -> None:
    # The sender put a "pass" for our server's name into the message; our server's
    # own header, added on arrival, sits above it.
    results = authentication_read(
        [DMARC_FAIL, "relay.example; dmarc=pass", f"{MX}; dmarc=pass"],
        authserv_id=MX,
    )

    assert results.results["dmarc"] == ("fail",)
    assert "DMARC failed" in authentication_failure(results)


def test_a_header_naming_our_server_right_below_its_own_is_not_believed() -> None:
    # Our server adds one header; a second one in its name came with the message.
    results = authentication_read(
        [
            f"{MX}; spf=fail smtp.mailfrom=writers.example; dkim=none",
            f"{MX}; dkim=pass header.d=writers.example; dmarc=pass",
        ],
        authserv_id=MX,
    )

    assert results.results == {"spf": ("fail",), "dkim": ("none",)}
    assert "SPF failed" in authentication_failure(results)


def test_our_server_s_header_below_another_server_s_is_not_believed() -> None:
    # Our server's header is always the topmost; below another one, it came with
    # the message.
    results = authentication_read(
        ["filter.example; dmarc=fail", PASSING], authserv_id=MX
    )

    assert not results.checked
    assert results.results == {}
    assert authentication_failure(results) == ""


def test_a_message_without_authentication_results_is_not_checked() -> None:
    results = authentication_read([], authserv_id=MX)

    assert not results.checked
    assert authentication_failure(results) == ""


def test_without_a_trusted_server_nothing_is_believed() -> None:
    results = authentication_read([DMARC_FAIL], authserv_id="")

    assert not results.checked
    assert authentication_failure(results) == ""
    assert authentication_read([PASSING], authserv_id="other.example").checked is False


@pytest.mark.django_db
def test_a_forged_message_is_held_apart_with_the_reason(
    settings: SettingsWrapper,
) -> None:
    settings.NEWSDESK_TRUSTED_AUTHSERV_ID = MX

    held = submission_receive(
        parsed=parsed(authentication_results=(DMARC_FAIL,)), raw=None
    )
    fine = submission_receive(
        parsed=parsed(
            message_id="<two@writers.example>", authentication_results=(PASSING,)
        ),
        raw=None,
    )

    assert held.state == Submission.State.QUARANTINED
    assert any("DMARC failed" in p for p in held.problems)
    assert held.authentication["dmarc"] == ["fail"]
    assert fine.state == Submission.State.NEW
    assert fine.authentication["dmarc"] == ["pass"]


def test_an_editor_sees_why_a_message_is_held_and_may_still_accept_it(
    settings: SettingsWrapper, editor: User, section: SectionPage
) -> None:
    settings.NEWSDESK_TRUSTED_AUTHSERV_ID = MX
    held = submission_receive(
        parsed=parsed(authentication_results=(DMARC_FAIL,)), raw=None
    )
    client = Client()
    client.force_login(editor)

    queue = client.get(reverse("contributions:index"))
    tab = client.get(reverse("contributions:index") + "?state=quarantined")
    page = client.get(reverse("contributions:detail", args=[held.pk]))

    assert held.headline not in queue.content.decode()
    assert held.headline in tab.content.decode()
    assert "DMARC failed" in page.content.decode()
    story = submission_accept(submission=held, section=section, by=editor)
    assert story.title == held.headline
