"""What each newsroom role can and cannot do, over HTTP: reporters write and submit,
desk editors edit and approve news, chief editors publish and give the second
approval for opinion, administrators run the newsroom itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from wagtail.models import Workflow, WorkflowPage, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from newsdesk.accounts.models import User
from newsdesk.contributions.services import submission_receive
from newsdesk.stories.models import SectionPage, StoryEvent, StoryPage
from tests.contributions.test_services import parsed
from tests.stories.factories import make_person, make_section, make_story

pytestmark = pytest.mark.django_db

OPINION_REVIEW = "Opinion review: desk, then chief editor"


def _member(role: str) -> Client:
    user = User.objects.create_user(
        username=role.lower().replace(" ", "-"),
        email=f"{role.split()[0].lower()}@news.example",
        password="a-long-test-password",
    )
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


def _form(story: StoryPage, action: str, **changes: Any) -> dict[str, Any]:
    author = story.authors.get()
    values: dict[str, Any] = {
        "title": story.title,
        "slug": story.slug,
        "standfirst": "",
        "dateline": "KABUL",
        "kind": story.kind,
        "language": "en",
        "authors": inline_formset(
            [{"id": author.pk, "person": author.person_id, "ORDER": 1}], initial=1
        ),
        "body": rich_text("<p>The river rose overnight.</p>"),
        "tags": "",
        "source_credit": "",
        "source_url": "",
        "corrections": inline_formset([]),
        "updates": inline_formset([]),
        action: action,
    }
    values.update(changes)
    return nested_form_data(values)


def _edit(client: Client, story: StoryPage, action: str, **changes: Any) -> int:
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[story.pk]),
        _form(story, action, **changes),
    )
    return response.status_code


def _approve(client: Client, story: StoryPage) -> int:
    state = WorkflowState.objects.get(object_id=str(story.pk), status="in_progress")
    task_state = state.current_task_state
    assert task_state is not None
    response = client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=[story.pk, "approve", task_state.pk],
        ),
        {"comment": ""},
    )
    return response.status_code


def _live(story: StoryPage) -> bool:
    return StoryPage.objects.get(pk=story.pk).live


@pytest.fixture
def draft(section: SectionPage) -> StoryPage:
    return make_story(section=section, title="Floods reach the capital")


def test_a_reporter_writes_drafts_and_submits_them_but_cannot_publish(
    section: SectionPage, draft: StoryPage
) -> None:
    reporter = _member("Reporters")

    add = reverse("wagtailadmin_pages:add", args=["stories", "storypage", section.pk])
    assert reporter.get(add).status_code == 200
    # another's draft is not theirs to change; publishing is refused
    assert _edit(reporter, draft, "action-publish") in (302, 403)
    assert not _live(draft)
    assert reporter.get(reverse("contributions:index")).status_code in (302, 403)
    assert reporter.get(reverse("wagtailusers_users:index")).status_code in (302, 403)


def test_a_reporters_own_draft_goes_to_review_not_live(
    section: SectionPage,
) -> None:
    reporter = _member("Reporters")
    person = make_person(name="Reporter")
    response = reporter.post(
        reverse("wagtailadmin_pages:add", args=["stories", "storypage", section.pk]),
        nested_form_data(
            {
                "title": "Council meets",
                "slug": "council-meets",
                "standfirst": "",
                "dateline": "",
                "kind": "news",
                "language": "en",
                "authors": inline_formset([{"person": person.pk, "ORDER": 1}]),
                "body": rich_text("<p>The council met.</p>"),
                "tags": "",
                "source_credit": "",
                "source_url": "",
                "corrections": inline_formset([]),
                "updates": inline_formset([]),
                "action-submit": "action-submit",
            }
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    story = StoryPage.objects.get(slug="council-meets")
    assert not story.live
    assert WorkflowState.objects.get(object_id=str(story.pk)).status == "in_progress"


def test_a_reporter_cannot_publish_approve_kill_or_unpublish(
    section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    reporter = _member("Reporters")
    user = User.objects.get(username="reporters")
    own = make_story(section=section, title="Council meets", owner=user)
    live = make_story(section=section, title="Floods reach the capital", live=True)

    # their own draft: publishing is refused; submitting is how it goes on
    with django_capture_on_commit_callbacks(execute=True):
        _edit(reporter, own, "action-publish")
    assert not _live(own)
    assert _edit(reporter, own, "action-submit") == 302
    # they cannot give the approval their review asks for
    assert _approve(reporter, own) in (302, 403)
    assert not _live(own)
    state = WorkflowState.objects.get(object_id=str(own.pk))
    assert state.status == "in_progress"
    assert state.current_task_state is not None
    assert state.current_task_state.status == "in_progress"
    # nor take a live story down, or kill it
    with django_capture_on_commit_callbacks(execute=True):
        unpublish = reporter.post(
            reverse("wagtailadmin_pages:unpublish", args=[live.pk])
        )
        kill = reporter.post(
            reverse("stories_kill", args=[live.pk]), {"reason": "Not confirmed."}
        )
    assert unpublish.status_code in (302, 403)
    assert kill.status_code in (302, 403)
    assert _live(live)
    assert not StoryPage.objects.get(pk=live.pk).killed_at


def test_a_desk_editor_edits_any_story_and_gives_news_its_one_approval(
    draft: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    desk = _member("Desk editors")

    # edits another's draft
    assert _edit(desk, draft, "action-save", title="Floods reach Kabul") == 302
    latest = StoryPage.objects.get(pk=draft.pk).get_latest_revision_as_object()
    assert latest.title == "Floods reach Kabul"
    # news needs one approval: theirs publishes it
    assert _edit(desk, draft, "action-submit") == 302
    assert not _live(draft)
    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(desk, draft) == 302
    assert _live(draft)


def test_a_desk_editor_accepts_submissions(section: SectionPage) -> None:
    desk = _member("Desk editors")
    submission = submission_receive(parsed=parsed(), raw=None)

    response = desk.post(
        reverse("contributions:detail", args=[submission.pk]),
        {"section": section.pk, "kind": "news", "language": "en"},
    )

    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.story_id is not None


def test_opinion_needs_a_desk_editor_then_a_chief_editor(
    home: Any, django_capture_on_commit_callbacks: Any
) -> None:
    opinion = make_section(home, title="Opinion", slug="opinion")
    WorkflowPage.objects.create(
        page=opinion, workflow=Workflow.objects.get(name=OPINION_REVIEW)
    )
    column = make_story(
        section=opinion, title="The dams we never built", kind="opinion"
    )
    desk, chief = _member("Desk editors"), _member("Chief editors")
    # the desk editor may not skip the review by publishing it themselves
    with django_capture_on_commit_callbacks(execute=True):
        _edit(desk, column, "action-publish")
    assert not _live(column)
    assert _edit(desk, column, "action-submit") == 302

    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(desk, column) == 302
    assert not _live(column)  # one approval is not enough for opinion
    # the desk editor cannot give the chief editor's approval too
    assert _approve(desk, column) in (302, 403)
    assert not _live(column)
    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(chief, column) == 302
    assert _live(column)
    # each step is a story event naming who took it
    events = StoryEvent.objects.filter(story=column).values_list(
        "kind", "actor__username", "note"
    )
    assert sorted(events) == sorted(
        [
            ("submitted", "desk-editors", OPINION_REVIEW),
            ("approved", "desk-editors", "Desk approval"),
            ("approved", "chief-editors", "Chief editor approval"),
            ("published", "chief-editors", ""),
        ]
    )


@pytest.mark.parametrize("kind", ["opinion", "editorial"])
def test_opinion_and_editorials_get_two_approvals_in_any_section(
    section: SectionPage, kind: str, django_capture_on_commit_callbacks: Any
) -> None:
    # given: an opinion piece (or editorial) in a section with no review of its
    # own, where news gets the site's one approval
    column = make_story(section=section, title="The dams we never built", kind=kind)
    news = make_story(section=section, title="Floods reach the capital")
    assert news.get_workflow().name == "News review: one approval"
    assert column.get_workflow().name == OPINION_REVIEW
    desk, chief = _member("Desk editors"), _member("Chief editors")

    # when: the desk editor submits and approves it
    assert _edit(desk, column, "action-submit", kind=kind) == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(desk, column) == 302

    # then: it waits for the chief editor, whose approval publishes it
    assert not _live(column)
    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(chief, column) == 302
    assert _live(column)


def test_a_sections_own_review_decides_for_every_kind_of_story(
    section: SectionPage, django_capture_on_commit_callbacks: Any
) -> None:
    # given: an administrator gave this section the one-approval review itself
    WorkflowPage.objects.create(
        page=section, workflow=Workflow.objects.get(name="News review: one approval")
    )
    column = make_story(
        section=section, title="The dams we never built", kind="opinion"
    )
    desk = _member("Desk editors")

    # then: an opinion piece there is published by the desk's one approval
    assert _edit(desk, column, "action-submit", kind="opinion") == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert _approve(desk, column) == 302
    assert _live(column)


def test_a_chief_editor_publishes_anything(
    draft: StoryPage, django_capture_on_commit_callbacks: Any
) -> None:
    chief = _member("Chief editors")

    with django_capture_on_commit_callbacks(execute=True):
        assert _edit(chief, draft, "action-publish") == 302

    assert _live(draft)
    assert chief.get(reverse("wagtailusers_users:index")).status_code in (302, 403)


def test_an_administrator_runs_users_desks_and_workflows() -> None:
    admin = _member("Administrators")

    assert admin.get(reverse("wagtailusers_users:index")).status_code == 200
    assert admin.get(reverse("wagtailsnippets_stories_desk:list")).status_code == 200
    assert admin.get(reverse("wagtailadmin_workflows:index")).status_code == 200
