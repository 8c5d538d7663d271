"""The contribute page's form: a story sent from a browser instead of a mail program.

The form on the (static) contribute page posts here. What it sends is written as an
email message (the writer's text, their files attached) and kept exactly as mail is
(``raw_message_store``), so it goes the same way as a message to the submissions
address: one service reads it, new writers confirm, every writer gets a receipt.

Abuse is kept out by a field people never see (bots fill it in: the post is
dropped, but thanked like any other), and by limits per sending address and per
network address. Network addresses are never stored: they are hashed with a secret
into a short-lived counter in the cache.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from newsdesk.core.counters import address_counter_key, counter_add

from .mailstore import raw_message_store
from .models import RawMessage, Submission
from .parsing import MAX_ATTACHMENTS

RATE_WINDOW_SECONDS = 3600
# Posts per hour from one network address (a newsroom behind one address sends
# several), and submissions per day from one sending address.
POSTS_PER_ADDRESS = 10
SUBMISSIONS_PER_SENDER = 5
# Control characters (CR and LF among them) and the line and paragraph separators,
# with the spaces around them.
_LINE_BREAKS = re.compile(r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029]+\s*")


class ContributionForm(forms.Form):
    """A story, opinion or editorial, with files, from a writer's browser."""

    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(
        max_length=320,
        label="Your email address",
        help_text="We send a receipt here, and ask you to confirm the first time.",
    )
    headline = forms.CharField(max_length=300, label="Headline")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=200_000,
        required=False,
        label="Your story, or a note to the editor",
    )
    # Left empty by people (it is hidden from them); bots fill every field in.
    website = forms.CharField(required=False, label="Leave this empty")

    def __init__(
        self, *args: Any, uploads: list[UploadedFile[Any]] | None = None, **kwargs: Any
    ) -> None:
        """``uploads`` are the files posted as "attachments" (several allowed)."""
        super().__init__(*args, **kwargs)
        self.uploads = uploads or []

    def clean_name(self) -> str:
        return self._one_line("name")

    def clean_headline(self) -> str:
        return self._one_line("headline")

    def _one_line(self, field: str) -> str:
        # The name and headline become the message's From and Subject headers,
        # which may not hold a line break (a pasted headline often does).
        value = _single_line(str(self.cleaned_data[field]))
        if not value:
            raise forms.ValidationError(
                self.fields[field].error_messages["required"], code="required"
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if len(self.uploads) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                f"Send at most {MAX_ATTACHMENTS} files; you chose {len(self.uploads)}."
            )
        total = sum(upload.size or 0 for upload in self.uploads)
        limit = settings.NEWSDESK_MAIL_MAX_BYTES
        if total > limit:
            raise forms.ValidationError(
                f"The files come to {total / 1_000_000:.1f} MB; the limit is "
                f"{limit // 1_000_000} MB. Send the text alone, or fewer photos."
            )
        if not cleaned.get("text", "").strip() and not self.uploads:
            raise forms.ValidationError("Write your story or attach it as a file.")
        return cleaned

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website", "").strip())


def _single_line(text: str) -> str:
    """Return text on one line: each line break or other control character, with
    the spaces around it, becomes one space."""
    return _LINE_BREAKS.sub(" ", text).strip()


def rate_limited(*, address: str, email: str) -> str:
    """Return why a post from this network address and sender must wait, or "".

    Counts a post from the address as it asks (the hash of the address, for an hour,
    in the cache); counts the sender's submissions of the last day in the database.
    """
    posts = counter_add(
        address_counter_key("contribute", address), seconds=RATE_WINDOW_SECONDS
    )
    if posts > POSTS_PER_ADDRESS:
        return "Too many submissions from your network in the last hour; please try again later."
    day = timezone.now() - timedelta(days=1)
    recent = Submission.objects.filter(
        sender_email__iexact=email, received_at__gte=day
    ).count()
    if recent >= SUBMISSIONS_PER_SENDER:
        return (
            f"You have sent {recent} submissions today; please wait a day, or write "
            f"to {settings.NEWSDESK_SUBMISSIONS_ADDRESS}."
        )
    return ""


def contribution_store(form: ContributionForm) -> RawMessage:
    """Keep a posted contribution as an email message, as mail is kept; return it."""
    data = form.cleaned_data
    message = EmailMessage()
    message["From"] = formataddr((data["name"], data["email"]))
    message["To"] = settings.NEWSDESK_SUBMISSIONS_ADDRESS
    message["Subject"] = data["headline"]
    domain = settings.NEWSDESK_SUBMISSIONS_ADDRESS.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("form", domain=domain)
    message.set_content(data.get("text") or "")
    for upload in form.uploads:
        content_type = (upload.content_type or "application/octet-stream").lower()
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(
            upload.read(),
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=upload.name or "attachment",
        )
    return raw_message_store(
        data=bytes(message),
        source=RawMessage.Source.FORM,
        envelope_from=data["email"],
        envelope_to=[settings.NEWSDESK_SUBMISSIONS_ADDRESS],
    )
