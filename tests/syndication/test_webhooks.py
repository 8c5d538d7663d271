"""Partners with a webhook are pushed each change they may see: signed, in their
format, tried again with growing waits when their end fails or is slow, given up
after a number of tries, and never embargoed copy they have no right to.

The partner's end is a real HTTP server on 127.0.0.1 (``receiver``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.accounts.models import User
from newsdesk.stories.models import HomePage, SectionPage, StoryPage
from newsdesk.stories.scheduling import scheduled_publishing_run
from newsdesk.stories.services import story_kill
from newsdesk.syndication import webhooks
from newsdesk.syndication.models import Delivery, Format, ItemVersion, Partner
from newsdesk.syndication.webhooks import (
    deliveries_enqueue,
    delivery_retry,
    webhook_deliveries_run,
    webhook_signature,
    webhook_signature_verify,
)
from tests.stories.factories import make_section, make_story

from .conftest import MakePartner

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)


# --- A partner's end, on this machine ----------------------------------------------


@dataclass(frozen=True)
class Answer:
    """How the receiver answers one request."""

    status: int = 200
    wait: float = 0.0  # seconds before answering
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Partners' webhooks on one loopback server, one path each. A path given a
    secret refuses (401) what that secret does not sign; answers are used in turn,
    the last one again and again."""

    base: str
    secrets: dict[str, str] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=lambda: [Answer()])
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + path

    def answer(self, *answers: Answer) -> None:
        self.answers = list(answers)

    def take(self, received: Received) -> Answer:
        with self.lock:
            self.received.append(received)
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def paths(self) -> list[str]:
        return [r.path for r in self.received]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        got = Received(self.path, dict(self.headers.items()), body)
        answer = receiver.take(got)
        status, text = answer.status, b"ok"
        secret = receiver.secrets.get(self.path)
        signature = self.headers.get("Newsdesk-Signature", "")
        if secret and not webhook_signature_verify(
            secret, signature, body, now=time.time()
        ):
            status, text = 401, b"bad signature"
        if answer.wait:
            receiver.release.wait(answer.wait)  # set when the test ends
        try:
            self.send_response(status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
        except OSError:
            pass  # the sender stopped waiting (the slow answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close waits for every handler to finish
    receiver: Receiver


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(base=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- Setup -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def push(settings: SettingsWrapper) -> None:
    """Queue deliveries as the app does (receivers.connect() connects this too;
    connecting twice is a no-op), and keep failed sends quick."""
    webhooks.connect()
    settings.NEWSDESK_WEBHOOK_TIMEOUT_SECONDS = 2
    settings.NEWSDESK_WEBHOOK_MAX_ATTEMPTS = 8


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still at START until the test moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hooked(make_partner: MakePartner, receiver: Receiver) -> MakePartner:
    """Make a partner whose webhook is a path on the receiver, which checks its
    signatures."""

    def make(path: str = "/hook", **fields: Any) -> Partner:
        partner = make_partner(webhook_url=receiver.url(path), **fields)
        receiver.secrets[path] = partner.webhook_secret
        return partner

    return make


def _publish(section: SectionPage, capture: Any, **fields: Any) -> StoryPage:
    story = make_story(section=section, **fields)
    with capture(execute=True):
        story.save_revision().publish()
    story.refresh_from_db()
    return story


def _delivery(partner: Partner) -> Delivery:
    return Delivery.objects.get(partner=partner)


# --- Signatures --------------------------------------------------------------------


def test_a_signature_verifies_only_the_same_body_secret_and_recent_time() -> None:
    body = b'{"cursor": "7"}'
    header = webhook_signature("whsec_a", 1_700_000_000, body)

    assert header.startswith("t=1700000000,v1=")
    assert webhook_signature_verify("whsec_a", header, body, now=1_700_000_000)
    assert webhook_signature_verify("whsec_a", header, body, now=1_700_000_300)
    assert not webhook_signature_verify("whsec_a", header, body, now=1_700_000_301)
    assert not webhook_signature_verify("whsec_a", header, body, now=1_699_999_699)
    assert not webhook_signature_verify("whsec_b", header, body, now=1_700_000_000)
    assert not webhook_signature_verify(
        "whsec_a", header, body + b" ", now=1_700_000_000
    )
    forged_time = header.replace("t=1700000000", "t=1700000100")
    assert not webhook_signature_verify("whsec_a", forged_time, body, now=1_700_000_000)


@pytest.mark.parametrize(
    "header", ["", "v1=abc", "t=,v1=abc", "t=soon,v1=abc", "t=1700000000", "nonsense"]
)
def test_a_malformed_signature_header_does_not_verify(header: str) -> None:
    assert not webhook_signature_verify("whsec_a", header, b"{}", now=1_700_000_000)


def test_any_matching_v1_verifies() -> None:
    body = b"{}"
    good = webhook_signature("whsec_a", 1_700_000_000, body)

    header = "t=1700000000,v1=" + "0" * 64 + "," + good.split(",")[1]

    assert webhook_signature_verify("whsec_a", header, body, now=1_700_000_000)


# --- Queueing ----------------------------------------------------------------------


def test_a_change_is_queued_once_for_each_partner_with_a_webhook_who_may_see_it(
    make_partner: MakePartner,
    section: SectionPage,
    home: HomePage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    wanting = make_partner(webhook_url="https://valley.example/hook")
    make_partner(name="Pulls only")
    make_partner(webhook_url="https://paused.example/hook", active=False)
    make_partner(webhook_url="https://nosecret.example/hook", webhook_secret="")
    make_partner(webhook_url="https://dari.example/hook", languages=["prs"])
    sport = make_partner(webhook_url="https://sport.example/hook", all_sections=False)
    sport.sections.add(make_section(home, title="Sport"))

    _publish(section, django_capture_on_commit_callbacks)

    change = ItemVersion.objects.get()
    assert list(Delivery.objects.values_list("partner", "state")) == [
        (wanting.pk, "pending")
    ]
    assert deliveries_enqueue(change) == 0
    assert Delivery.objects.count() == 1


# --- Delivering --------------------------------------------------------------------


def test_a_published_story_arrives_signed_in_the_partners_format(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    partner = hooked()
    story = _publish(section, django_capture_on_commit_callbacks, title="Floods")
    change = ItemVersion.objects.get()

    assert webhook_deliveries_run() == 1

    [got] = receiver.received
    delivery = _delivery(partner)
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Newsdesk-Delivery"] == str(delivery.pk)
    assert got.headers["Newsdesk-Cursor"] == str(change.pk)
    assert got.headers["Newsdesk-Change"] == "published"
    assert webhook_signature_verify(
        partner.webhook_secret,
        got.headers["Newsdesk-Signature"],
        got.body,
        now=START.timestamp(),
    )
    body = got.json()
    assert body["cursor"] == str(change.pk)
    assert body["change"] == "published"
    assert body["item"]["headlines"][0]["value"] == "Floods"
    assert body["item"]["pubStatus"] == "usable"
    assert str(story.pk) in json.dumps(body["item"])
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        "delivered",
        1,
        200,
    )
    assert delivery.delivered_at == START
    assert delivery.last_error == ""
    assert webhook_deliveries_run() == 0
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("fmt", "content_type", "marker"),
    [
        (Format.NINJS2, "application/json", b'"change": "published"'),
        (
            Format.NEWSML,
            "application/vnd.iptc.g2.newsmessage+xml; charset=utf-8",
            b"newsMessage",
        ),
    ],
)
def test_each_partner_gets_its_own_format(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
    fmt: str,
    content_type: str,
    marker: bytes,
) -> None:
    partner = hooked(webhook_format=fmt)
    _publish(section, django_capture_on_commit_callbacks, title="Harvest doubles")

    webhook_deliveries_run()

    [got] = receiver.received
    assert got.headers["Content-Type"] == content_type
    assert marker in got.body
    assert b"Harvest doubles" in got.body
    assert _delivery(partner).state == "delivered"  # the receiver checked the signature


def test_a_failing_partner_gets_the_change_again_after_the_backoff(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a partner whose end fails once, then works
    partner = hooked()
    receiver.answer(Answer(500), Answer(200))
    _publish(section, django_capture_on_commit_callbacks)

    # when: the first try fails
    assert webhook_deliveries_run() == 1

    # then: it is recorded, and due again in 30 seconds, not before
    delivery = _delivery(partner)
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        "pending",
        1,
        500,
    )
    assert delivery.last_error.startswith("Internal Server Error")
    assert delivery.next_attempt_at == START + timedelta(seconds=30)
    clock.move_to(START + timedelta(seconds=29))
    assert webhook_deliveries_run() == 0

    clock.move_to(START + timedelta(seconds=30))
    assert webhook_deliveries_run() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        "delivered",
        2,
        200,
    )
    assert delivery.last_error == ""
    assert delivery.delivered_at == START + timedelta(seconds=30)
    first, second = receiver.received
    assert first.headers["Newsdesk-Delivery"] == second.headers["Newsdesk-Delivery"]
    assert first.body == second.body


def test_a_slow_partner_is_recorded_as_a_timeout_and_tried_again(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    settings: SettingsWrapper,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.NEWSDESK_WEBHOOK_TIMEOUT_SECONDS = 0.5
    partner = hooked()
    receiver.answer(Answer(200, wait=5), Answer(200))
    _publish(section, django_capture_on_commit_callbacks)

    began = time.monotonic()
    assert webhook_deliveries_run() == 1
    took = time.monotonic() - began

    delivery = _delivery(partner)
    assert took < 3
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        "pending",
        1,
        None,
    )
    assert delivery.last_error == "No answer within 0.5 s"
    assert delivery.next_attempt_at == START + timedelta(seconds=30)

    clock.move_to(START + timedelta(seconds=30))
    assert webhook_deliveries_run() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)


def test_the_waits_grow_and_nothing_is_sent_after_the_last_try(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    settings: SettingsWrapper,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.NEWSDESK_WEBHOOK_MAX_ATTEMPTS = 3
    partner = hooked()
    receiver.answer(Answer(503))
    _publish(section, django_capture_on_commit_callbacks)

    now, waits = START, []
    for _ in range(3):
        assert webhook_deliveries_run() == 1
        delivery = _delivery(partner)
        if delivery.next_attempt_at is not None:
            waits.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at
            clock.move_to(now)

    assert waits == [timedelta(seconds=30), timedelta(minutes=2)]
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        "failed",
        3,
        503,
    )
    assert delivery.next_attempt_at is None
    clock.move_to(START + timedelta(days=7))
    assert webhook_deliveries_run() == 0
    assert len(receiver.received) == 3


def test_a_refused_connection_is_recorded_and_tried_again(
    make_partner: MakePartner,
    section: SectionPage,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    partner = make_partner(webhook_url=f"http://127.0.0.1:{port}/hook")
    _publish(section, django_capture_on_commit_callbacks)

    assert webhook_deliveries_run() == 1

    delivery = _delivery(partner)
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        "pending",
        1,
        None,
    )
    assert delivery.last_error == "Connection refused"
    assert delivery.next_attempt_at == START + timedelta(seconds=30)


def test_a_redirect_is_not_followed(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    partner = hooked("/old")
    receiver.answer(Answer(301, headers=(("Location", receiver.url("/new")),)))
    _publish(section, django_capture_on_commit_callbacks)

    webhook_deliveries_run()

    assert receiver.paths() == ["/old"]
    delivery = _delivery(partner)
    assert (delivery.state, delivery.last_status) == ("pending", 301)
    assert "redirects are not followed" in delivery.last_error


def test_a_failing_partner_waits_for_the_next_run_while_others_are_served(
    hooked: MakePartner,
    receiver: Receiver,
    make_partner: MakePartner,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    down = make_partner(webhook_url=f"http://127.0.0.1:{port}/hook")
    up = hooked()
    for title in ("First", "Second"):
        _publish(section, django_capture_on_commit_callbacks, title=title)

    assert webhook_deliveries_run() == 3

    tried = Delivery.objects.filter(partner=down).order_by("id")
    assert [d.attempts for d in tried] == [1, 0]
    assert len(receiver.received) == 2
    assert set(Delivery.objects.filter(partner=up).values_list("state", flat=True)) == {
        "delivered"
    }


def test_two_runs_at_once_send_a_delivery_once(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: two partners, one change each; a second run starts while the first
    # is waiting for the first partner's answer
    hooked("/valley")
    hooked("/river")
    _publish(section, django_capture_on_commit_callbacks)
    post = webhooks._post
    overlapping: list[int] = []
    started = threading.Event()

    def post_during_another_run(*args: Any) -> webhooks.Outcome:
        if not started.is_set():
            started.set()
            overlapping.append(webhook_deliveries_run())
        return post(*args)

    monkeypatch.setattr(webhooks, "_post", post_during_another_run)

    # when
    first = webhook_deliveries_run()

    # then: each run sent one, and each partner got its change once
    assert (first, overlapping) == (1, [1])
    assert sorted(receiver.paths()) == ["/river", "/valley"]
    assert set(Delivery.objects.values_list("state", "attempts")) == {("delivered", 1)}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks; SQLite's IMMEDIATE transactions make writers take turns",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_running_at_once_send_each_delivery_once(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    end_stray_database_sessions: None,
) -> None:
    # given: four changes due, and a partner slow enough that the runs overlap
    hooked()
    for n in range(4):
        make_story(section=section, title=f"Story {n}", live=True)
    assert Delivery.objects.count() == 4
    receiver.answer(Answer(200, wait=0.2))
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[Exception] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            results.append(webhook_deliveries_run())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then: between them they sent each delivery once
    assert errors == []
    assert len(results) == 2
    assert sum(results) == 4
    ids = [r.headers["Newsdesk-Delivery"] for r in receiver.received]
    assert sorted(ids) == sorted(
        str(pk) for pk in Delivery.objects.values_list("pk", flat=True)
    )
    assert set(Delivery.objects.values_list("state", "attempts")) == {("delivered", 1)}


# --- What must not be sent ---------------------------------------------------------


def _embargoed(section: SectionPage, capture: Any) -> StoryPage:
    return _publish(
        section,
        capture,
        title="Budget figures",
        embargo_until=START + timedelta(hours=2),
    )


def test_embargoed_copy_goes_only_to_a_partner_with_the_right(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: one partner may see embargoed copy, one may not
    allowed = hooked("/allowed", embargoed_copy=True)
    hooked("/other")

    # when: an embargoed story is approved, and later its embargo ends
    _embargoed(section, django_capture_on_commit_callbacks)
    webhook_deliveries_run()
    embargoed = list(receiver.received)
    clock.move_to(START + timedelta(hours=2, seconds=10))
    with django_capture_on_commit_callbacks(execute=True):
        scheduled_publishing_run()
    webhook_deliveries_run()

    # then: only the partner with the right had it withheld; both have it published
    assert [r.path for r in embargoed] == ["/allowed"]
    withheld = embargoed[0].json()
    assert withheld["change"] == "embargoed"
    assert withheld["item"]["pubStatus"] == "withheld"
    assert list(
        Delivery.objects.filter(change__change="embargoed").values_list("partner")
    ) == [(allowed.pk,)]
    published = receiver.received[1:]
    assert sorted(r.path for r in published) == ["/allowed", "/other"]
    assert {r.json()["item"]["pubStatus"] for r in published} == {"usable"}


def test_a_called_off_embargo_is_not_pushed_to_a_partner_without_the_right(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    editor: User,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The withdrawal's item still carries the copy that was never public.
    hooked("/allowed", embargoed_copy=True)
    hooked("/other")
    story = _embargoed(section, django_capture_on_commit_callbacks)
    revision = story.revisions.exclude(approved_go_live_at=None).get()
    with django_capture_on_commit_callbacks(execute=True):
        revision.approved_go_live_at = None
        revision.save(user=editor, update_fields=["approved_go_live_at"])

    webhook_deliveries_run()

    assert [(r.path, r.json()["change"]) for r in receiver.received] == [
        ("/allowed", "embargoed"),
        ("/allowed", "withdrawn"),
    ]


def test_a_queued_embargoed_change_is_not_sent_once_the_right_is_taken_away(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    partner = hooked(embargoed_copy=True)
    _embargoed(section, django_capture_on_commit_callbacks)
    Partner.objects.filter(pk=partner.pk).update(embargoed_copy=False)

    assert webhook_deliveries_run() == 0

    delivery = _delivery(partner)
    assert receiver.received == []
    assert (delivery.state, delivery.attempts) == ("failed", 0)
    assert delivery.last_error == "Not sent: the partner may no longer take this change"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"active": False}, "Not sent: the partner was made inactive"),
        ({"webhook_url": ""}, "Not sent: the partner has no webhook address any more"),
    ],
)
def test_a_paused_partner_or_one_without_a_webhook_now_is_not_sent_its_queue(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    django_capture_on_commit_callbacks: Any,
    change: dict[str, Any],
    reason: str,
) -> None:
    partner = hooked()
    _publish(section, django_capture_on_commit_callbacks)
    Partner.objects.filter(pk=partner.pk).update(**change)

    assert webhook_deliveries_run() == 0

    delivery = _delivery(partner)
    assert receiver.received == []
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        "failed",
        0,
        reason,
    )


def test_a_killed_story_is_pushed_as_canceled(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    editor: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    hooked()
    story = _publish(section, django_capture_on_commit_callbacks)
    webhook_deliveries_run()
    editor.groups.add(Group.objects.get(name="Chief editors"))
    editor = User.objects.get(pk=editor.pk)

    with django_capture_on_commit_callbacks(execute=True):
        story_kill(story=story, by=editor, reason="The source withdrew the claim.")
    webhook_deliveries_run()

    killed = receiver.received[-1]
    assert len(receiver.received) == 2
    assert killed.headers["Newsdesk-Change"] == "killed"
    assert killed.json()["change"] == "killed"
    assert killed.json()["item"]["pubStatus"] == "canceled"


def test_a_given_up_delivery_can_be_sent_again(
    hooked: MakePartner,
    receiver: Receiver,
    section: SectionPage,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.NEWSDESK_WEBHOOK_MAX_ATTEMPTS = 1
    partner = hooked()
    receiver.answer(Answer(500), Answer(200))
    _publish(section, django_capture_on_commit_callbacks)
    webhook_deliveries_run()
    assert _delivery(partner).state == "failed"

    delivery_retry(delivery=_delivery(partner))
    webhook_deliveries_run()

    delivery = _delivery(partner)
    assert (delivery.state, delivery.attempts) == ("delivered", 1)
