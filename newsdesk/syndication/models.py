"""Partners, their keys, the change log they take stories from, and the webhook
deliveries that push it to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from newsdesk.core.models import BaseModel


class Format(models.TextChoices):
    """The formats a partner may take."""

    NINJS3 = "ninjs3", "IPTC ninjs 3.1 (JSON)"
    NINJS2 = "ninjs2", "IPTC ninjs 2.2 (JSON, for older tools)"
    NEWSML = "newsml", "IPTC NewsML-G2 2.35 (XML)"


class Partner(BaseModel):
    """An outlet that republishes the agency's copy, and what it may take."""

    name = models.CharField(max_length=200, unique=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    active = models.BooleanField(
        default=True, help_text="Untick to stop all its keys and deliveries at once."
    )
    all_sections = models.BooleanField(
        default=False, help_text="It may take every section, present and future."
    )
    sections = models.ManyToManyField(
        "stories.SectionPage",
        blank=True,
        related_name="+",
        help_text="The sections it may take (unless it takes every section).",
    )
    languages = models.JSONField(
        default=list,
        blank=True,
        help_text="The languages it may take; none ticked: any language.",
    )
    embargoed_copy = models.BooleanField(
        "sees embargoed copy",
        default=False,
        help_text="It gets embargoed stories before their time, marked as "
        "embargoed (withheld) with the time they may be published.",
    )
    formats = models.JSONField(
        default=list,
        blank=True,
        help_text="The formats it asks for; none ticked: ninjs 3.",
    )
    webhook_url = models.URLField(
        blank=True,
        max_length=500,
        help_text="Where each change is sent as it happens (HTTPS), signed with "
        "its webhook secret; empty: it pulls only.",
    )
    webhook_format = models.CharField(
        max_length=10, choices=Format.choices, default=Format.NINJS3
    )
    webhook_secret = models.CharField(max_length=100, blank=True, editable=False)
    requests_per_minute = models.PositiveIntegerField(
        default=120, help_text="Pull requests allowed per key per minute."
    )

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class PartnerKey(BaseModel):
    """An API key of a partner: shown once when made, stored only as a hash."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(
        max_length=100, blank=True, help_text="What it is for, e.g. the web desk."
    )
    # The key's first characters, to find it, and the SHA-256 of the whole key.
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.partner}: {self.prefix}…"


class ItemVersion(models.Model):
    """One change partners get: a story's new version, with the item as it was.

    Its id is the cursor partners pull from; rows are only ever added.
    """

    class Change(models.TextChoices):
        PUBLISHED = "published", "Published"
        UPDATED = "updated", "Updated"
        CORRECTED = "corrected", "Corrected"
        EMBARGOED = "embargoed", "Embargoed"
        KILLED = "killed", "Killed"
        WITHDRAWN = "withdrawn", "Unpublished"

    story = models.ForeignKey(
        "stories.StoryPage",
        null=True,
        on_delete=models.SET_NULL,
        related_name="item_versions",
    )
    guid = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    change = models.CharField(max_length=20, choices=Change.choices)
    status = models.CharField(max_length=20)
    section_id = models.BigIntegerField(null=True)
    language = models.CharField(max_length=10)
    embargo_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    item = models.JSONField()

    class Meta:
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(
                fields=("guid", "version"), name="syndication_item_version_unique"
            ),
        )

    def __str__(self) -> str:
        return f"{self.guid} v{self.version} ({self.change})"


class Delivery(BaseModel):
    """One change sent, or to be sent, to one partner's webhook."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="deliveries"
    )
    change = models.ForeignKey(
        ItemVersion, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=("partner", "change"), name="syndication_delivery_unique"
            ),
        )
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.change} to {self.partner}: {self.state}"
