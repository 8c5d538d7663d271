"""What contributors send: the raw message as received, and the submission made of it."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from newsdesk.core.models import BaseModel
from newsdesk.stories.models import StoryPage


class Contributor(BaseModel):
    """An outside writer, known by the address they send from; they never log in."""

    email = models.EmailField(
        max_length=320, unique=True, help_text="Stored lower-case."
    )
    name = models.CharField(
        max_length=200,
        blank=True,
        help_text="Their own name. Never shown on the site when they write under a "
        "pen name.",
    )
    pen_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="The name their bylines carry instead of their own, if they want one.",
    )
    person = models.OneToOneField(
        "stories.Person",
        on_delete=models.PROTECT,
        related_name="contributor",
        help_text="Their public byline: the name, bio and photo readers see.",
    )
    phone = models.CharField(
        max_length=50, blank=True, help_text="Private: seen by editors only."
    )
    contact_notes = models.TextField(
        blank=True,
        help_text="Private: other ways to reach them (a messenger, a postal address) "
        "and when not to.",
    )
    terms_agreed_at = models.DateTimeField(
        null=True, blank=True, help_text="When they agreed to the contributor terms."
    )
    terms_version = models.CharField(
        max_length=40,
        blank=True,
        help_text="Which version of the contributor terms they agreed to.",
    )
    confirmed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When they confirmed they write from this address (or an editor "
        "accepted their work); their submissions go straight to the queue.",
    )

    class Meta:
        ordering = ("name", "email")

    def __str__(self) -> str:
        return self.name or self.pen_name or self.email

    @property
    def byline_name(self) -> str:
        """The name their stories are signed with: the pen name if they have one."""
        return self.pen_name or self.name or self.email.split("@", 1)[0]


class RawMessage(BaseModel):
    """A message exactly as it arrived, kept on disk before anything else happens."""

    class Source(models.TextChoices):
        SMTP = "smtp", "Mail receiver"
        IMAP = "imap", "Mailbox"
        FORM = "form", "Web form"

    class State(models.TextChoices):
        STORED = "stored", "Stored, waiting to be read"
        PARSED = "parsed", "Read into a submission"
        DUPLICATE = "duplicate", "Same message as an earlier one"
        REJECTED = "rejected", "Nothing to submit"
        FAILED = "failed", "Could not be read (our fault; will be retried)"

    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.SMTP
    )
    path = models.CharField(
        max_length=500, unique=True, help_text="Relative to the mail folder."
    )
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    received_at = models.DateTimeField(db_index=True)
    envelope_from = models.CharField(max_length=320, blank=True)
    envelope_to = models.TextField(blank=True)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.STORED, db_index=True
    )
    outcome = models.TextField(blank=True, help_text="What happened when it was read.")
    source_key = models.CharField(
        max_length=400,
        blank=True,
        help_text="Where it was fetched from, e.g. a mailbox, its UIDVALIDITY and "
        "the message's UID: fetched twice, it is stored once.",
    )

    class Meta:
        ordering = ("-received_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=("source_key",),
                condition=~Q(source_key=""),
                name="raw_message_fetched_once",
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_source_display()} message {self.pk} ({self.state})"


def status_token() -> str:
    """Return a new secret for a submission's private status address."""
    return secrets.token_urlsafe(24)


class Submission(BaseModel):
    """A story, opinion or editorial a contributor sent, waiting for an editor."""

    class State(models.TextChoices):
        NEW = "new", "New"
        UNCONFIRMED = "unconfirmed", "Waiting for a new writer to confirm"
        EXPIRED = "expired", "Never confirmed"
        QUARANTINED = "quarantined", "Held: the sender may be forged"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        MERGED = "merged", "Merged into another"

    raw_message = models.OneToOneField(
        RawMessage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="submission",
    )
    message_id = models.CharField(max_length=998, blank=True)
    sender_email = models.EmailField(max_length=320, blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    headline = models.CharField(max_length=500)
    body_html = models.TextField(
        help_text="The story, as sanitised HTML: the attached document's text when "
        "there is one, else the message's."
    )
    cover_note_html = models.TextField(
        blank=True,
        help_text="The message's own text when the story came as a document: the "
        "writer's note to the editor (sanitised HTML).",
    )
    received_at = models.DateTimeField(db_index=True)
    problems = models.JSONField(
        default=list, blank=True, help_text="What was odd about what arrived."
    )
    language = models.CharField(
        max_length=10,
        choices=StoryPage.Language.choices,
        default=StoryPage.Language.ENGLISH,
        help_text="Guessed from the text; the editor confirms it on accepting.",
    )
    kind = models.CharField(
        max_length=20,
        choices=StoryPage.Kind.choices,
        default=StoryPage.Kind.NEWS,
        help_text="Guessed from what the writer said; the editor confirms it.",
    )
    authentication = models.JSONField(
        default=dict,
        blank=True,
        help_text="SPF, DKIM and DMARC results the agency's mail server recorded.",
    )
    desk = models.ForeignKey(
        "stories.Desk",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
        help_text="The desk whose editors it waits for: the one handling its "
        "language and kind.",
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.NEW, db_index=True
    )
    contributor = models.ForeignKey(
        Contributor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    story = models.ForeignKey(
        "stories.StoryPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_submissions",
        help_text="The editor who is to deal with it.",
    )
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the editor should have dealt with it."
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
        help_text="The submission this duplicate was merged into.",
    )
    decision_note = models.TextField(
        blank=True, help_text="The editor's note to the writer when declining."
    )
    status_token = models.CharField(
        max_length=64,
        unique=True,
        default=status_token,
        editable=False,
        help_text="The secret in the writer's private status address.",
    )
    receipt_message_id = models.CharField(
        max_length=998,
        blank=True,
        db_index=True,
        help_text="The Message-ID of the receipt we sent; replies to it thread here.",
    )
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    digest_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When editors were told of it in a digest."
    )
    published_notice_sent_at = models.DateTimeField(null=True, blank=True)
    decline_notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-received_at", "-id")
        permissions = (("accept_submission", "Can accept a submission into a section"),)
        constraints: ClassVar[list[Any]] = [
            # The same Message-ID twice is one submission (a resend, a re-polled mailbox).
            models.UniqueConstraint(
                fields=("message_id",),
                condition=~Q(message_id=""),
                name="submission_message_id_once",
            )
        ]

    def __str__(self) -> str:
        return self.headline


class SubmissionFile(BaseModel):
    """A file a submission came with, kept as it arrived (downloadable in the newsroom)."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", "Document"
        PHOTO = "photo", "Photo"
        OTHER = "other", "Other file"

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="files"
    )
    name = models.CharField(max_length=255, help_text="As the sender named it.")
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=500, help_text="Relative to the mail folder.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    is_story = models.BooleanField(
        default=False, help_text="The document the story was read from."
    )

    class Meta:
        ordering = ("submission", "pk")

    def __str__(self) -> str:
        return self.name


class SubmissionNote(BaseModel):
    """A note on a submission: the writer's reply to our mail, or an editor's remark."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="notes"
    )
    from_writer = models.BooleanField(default=False)
    author_name = models.CharField(max_length=200, blank=True)
    body_html = models.TextField(help_text="Sanitised HTML.")
    raw_message = models.OneToOneField(
        RawMessage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="note",
    )

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"Note on submission {self.submission_id}"


class TextFingerprint(models.Model):
    """The MinHash signature of a submission's or a published story's text, for
    finding near-duplicates (see ``newsdesk.contributions.similarity``)."""

    submission = models.OneToOneField(
        Submission,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="fingerprint",
    )
    story = models.OneToOneField(
        StoryPage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    signature = models.JSONField()

    class Meta:
        constraints = (
            models.CheckConstraint(
                condition=Q(submission__isnull=True) ^ Q(story__isnull=True),
                name="fingerprint_of_one_text",
            ),
        )

    def __str__(self) -> str:
        return f"Fingerprint of {self.submission_id or self.story_id}"


class FingerprintBand(models.Model):
    """One band of a fingerprint: texts sharing a band are near-duplicate candidates."""

    fingerprint = models.ForeignKey(
        TextFingerprint, on_delete=models.CASCADE, related_name="bands"
    )
    key = models.CharField(max_length=40, db_index=True)

    def __str__(self) -> str:
        return self.key


class SubmissionMatch(models.Model):
    """A published story or an earlier submission much of a submission's text is in."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="matches"
    )
    other_submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    story = models.ForeignKey(
        StoryPage, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    overlap = models.FloatField(help_text="Estimated share of text in common, 0-1.")

    class Meta:
        ordering = ("-overlap", "pk")

    def __str__(self) -> str:
        return f"{self.submission_id} ~ {self.other_submission_id or self.story_id}"


class MailboxState(models.Model):
    """How far the poller has read a mailbox: the UIDs it stored, per UIDVALIDITY."""

    mailbox = models.CharField(
        max_length=400, unique=True, help_text="user@host:port/folder"
    )
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    polled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.mailbox} up to UID {self.last_uid}"
