"""Contributor profiles: who writes for the agency, under which name, how to reach them.

A contributor is known by the address they write from and never logs in. Their
public side is a byline person (name, bio, photo: what readers see); their private
side (own name when they write under a pen name, phone, other ways to reach them)
stays in the newsroom. When a writer takes a pen name, their byline and author page
address change to it, and nothing on the site links the two names.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from newsdesk.stories.models import Person, unique_person_slug

from .models import Contributor, Submission


def contributor_get_or_create(*, email: str, name: str) -> Contributor:
    """Return the contributor who writes from this address, creating their profile once."""
    email = email.strip().lower()
    contributor = (
        Contributor.objects.select_related("person").filter(email=email).first()
    )
    if contributor is not None:
        if name and not contributor.name:
            contributor.name = name
            contributor.save(update_fields=["name", "updated_at"])
            contributor_byline_sync(contributor=contributor)
        return contributor
    contributor = Contributor(email=email, name=name)
    contributor.person = Person.objects.create(
        name=contributor.byline_name, kind=Person.Kind.CONTRIBUTOR
    )
    contributor.save()
    return contributor


def contributor_byline_sync(*, contributor: Contributor) -> Person:
    """Give the contributor's byline the name they write under.

    A changed name also changes the author page's address: an address made of a
    writer's own name must not stay beside their pen name. Returns the person.
    """
    person = contributor.person
    name = contributor.byline_name
    if person.name != name:
        person.name = name
        person.slug = unique_person_slug(name)
        person.save(update_fields=["name", "slug", "updated_at"])
    return person


@transaction.atomic
def contributor_profile_update(
    *, contributor: Contributor, **public: Any
) -> Contributor:
    """Save an editor's changes to a profile: the contributor's own fields as set on
    it, and the byline's public ``bio`` and ``photo`` when given.

    The byline takes the pen name (or the name) and the site is rewritten where it
    shows it.
    """
    contributor.email = contributor.email.strip().lower()
    if contributor.person_id is None:  # an editor adding a writer by hand
        contributor.person = Person.objects.create(
            name=contributor.byline_name, kind=Person.Kind.CONTRIBUTOR
        )
    contributor.save()
    person = contributor_byline_sync(contributor=contributor)
    changed = [field for field in ("bio", "photo") if field in public]
    if changed and any(getattr(person, f) != public[f] for f in changed):
        for field in changed:
            setattr(person, field, public[field])
        person.save(update_fields=[*changed, "updated_at"])
    return contributor


def contributor_terms_agreed(contributor: Contributor | None) -> bool:
    """Say whether the contributor agreed to the terms as they stand now."""
    return (
        contributor is not None
        and contributor.terms_agreed_at is not None
        and contributor.terms_version == settings.NEWSDESK_CONTRIBUTOR_TERMS_VERSION
    )


def contributor_agree_to_terms(*, contributor: Contributor) -> Contributor:
    """Record that the contributor agreed to the current contributor terms (the
    writer's own click on their confirmation or status page). Agreeing twice keeps
    the first time."""
    if not contributor_terms_agreed(contributor):
        contributor.terms_agreed_at = timezone.now()
        contributor.terms_version = settings.NEWSDESK_CONTRIBUTOR_TERMS_VERSION
        contributor.save(
            update_fields=["terms_agreed_at", "terms_version", "updated_at"]
        )
    return contributor


def submission_writer_agrees_to_terms(*, submission: Submission) -> Contributor | None:
    """Record the contributor terms agreed by the writer of a submission, from its
    private status page (the address only they were sent). Returns the contributor,
    or None when the submission has no writer who could have been sent the page."""
    if not submission.sender_email or submission.state in (
        Submission.State.QUARANTINED,
        Submission.State.UNCONFIRMED,
        Submission.State.EXPIRED,
    ):
        return None
    contributor = contributor_get_or_create(
        email=submission.sender_email, name=submission.sender_name
    )
    return contributor_agree_to_terms(contributor=contributor)
