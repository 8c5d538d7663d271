"""Fixtures shared by the syndication tests: partners and their keys."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from newsdesk.syndication.models import Format, Partner
from newsdesk.syndication.services import partner_key_issue

MakePartner = Callable[..., Partner]

_numbers = itertools.count(1)


@pytest.fixture
def make_partner(db: None) -> MakePartner:
    """Make an active partner that takes every section in every format; fields
    given override those (``webhook_url=...`` also gives it a webhook secret)."""

    def make(**fields: Any) -> Partner:
        fields.setdefault("name", f"Partner {next(_numbers)}")
        fields.setdefault("all_sections", True)
        fields.setdefault("formats", [Format.NINJS3, Format.NINJS2, Format.NEWSML])
        if fields.get("webhook_url"):
            fields.setdefault("webhook_secret", f"whsec_test_{fields['name']}")
        return Partner.objects.create(**fields)

    return make


@pytest.fixture
def partner(make_partner: MakePartner) -> Partner:
    """A partner that pulls every section, without a webhook."""
    return make_partner(name="Valley Times")


@pytest.fixture
def partner_key(partner: Partner) -> str:
    """A raw API key of ``partner``, as the partner sends it."""
    return partner_key_issue(partner=partner, by=None, label="web desk")[1]
