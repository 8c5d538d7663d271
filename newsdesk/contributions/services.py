"""Every write for contributions: read stored mail into submissions, accept them."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from newsdesk.core.errors import PermissionDeniedError
from newsdesk.stories.models import Person, SectionPage, StoryPage
from newsdesk.stories.selectors import desk_for
from newsdesk.stories.services import story_create_draft

from .authentication import authentication_failure, authentication_read
from .documents import DocumentError, document_read, is_document
from .duplicates import submission_matches_find
from .errors import RawMessageError, SubmissionStateError
from .guessing import kind_guess, language_guess
from .mailstore import attachment_store
from .models import (
    Contributor,
    RawMessage,
    Submission,
    SubmissionFile,
    SubmissionNote,
)
from .notices import may_write_to, notice_build, rejection_build
from .parsing import NO_TEXT, UNREADABLE, ParsedAttachment, ParsedMessage, parse_message
from .photos import PhotoError, PhotoText, photo_check, photo_problem, photo_texts
from .profiles import contributor_agree_to_terms, contributor_get_or_create
from .sanitise import html_to_plain_text
from .signals import submission_received

if TYPE_CHECKING:
    from newsdesk.accounts.models import User

logger = logging.getLogger(__name__)

HEADLINE_FALLBACK_LENGTH = 120


def raw_message_path(raw: RawMessage) -> Path:
    """Return where the raw message's file lives."""
    return Path(settings.NEWSDESK_MAIL_DIR) / raw.path


def submission_file_path(stored: SubmissionFile) -> Path:
    """Return where a file a submission came with is kept."""
    return Path(settings.NEWSDESK_MAIL_DIR) / stored.path


def raw_message_read(*, raw: RawMessage) -> bytes:
    """Return the bytes of a stored raw message."""
    path = raw_message_path(raw)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RawMessageError(
            f"Raw message #{raw.pk} cannot be read from {path}: {exc}"
        ) from exc


def _headline_for(parsed: ParsedMessage) -> str:
    if parsed.subject:
        return parsed.subject[:500]
    first_line = next(
        (line.strip() for line in parsed.body_text.splitlines() if line.strip()), ""
    )
    if first_line:
        short = first_line[:HEADLINE_FALLBACK_LENGTH]
        return (
            short
            if len(first_line) <= HEADLINE_FALLBACK_LENGTH
            else short.rstrip() + "…"
        )
    return f"Untitled submission from {parsed.sender_name or parsed.sender_email or 'an unknown sender'}"


def raw_message_parse(*, raw: RawMessage) -> Submission | None:
    """Read a stored raw message into a submission; running it again changes nothing.

    Returns the submission (an earlier one for a duplicate Message-ID), or None when
    the message holds nothing to submit or could not be read.
    """
    if raw.state in (RawMessage.State.PARSED, RawMessage.State.DUPLICATE):
        return Submission.objects.filter(raw_message=raw).first() or (
            Submission.objects.filter(message_id=raw.message_id).first()
            if raw.message_id
            else None
        )
    if raw.state == RawMessage.State.REJECTED:
        return None
    try:
        data = raw_message_read(raw=raw)
        parsed = parse_message(data)
    except Exception as exc:
        # Our fault, not the sender's: keep the raw message, log, let a later sweep retry.
        logger.exception("Could not read raw message #%s", raw.pk)
        RawMessage.objects.filter(pk=raw.pk).update(
            state=RawMessage.State.FAILED, outcome=f"Could not be read: {exc}"
        )
        return None
    if UNREADABLE in parsed.problems:
        # The parser met a bug of ours, not a fault of the sender: retry later.
        RawMessage.objects.filter(pk=raw.pk).update(
            state=RawMessage.State.FAILED, outcome=UNREADABLE
        )
        return None
    if (
        not parsed.body_text.strip()
        and not parsed.body_html.strip()
        and not parsed.attachments
    ):
        RawMessage.objects.filter(pk=raw.pk).update(
            state=RawMessage.State.REJECTED,
            outcome="The message had no text, so there was nothing for an editor to read.",
        )
        _tell_of_rejection(parsed)
        return None
    return submission_receive(parsed=parsed, raw=raw)


def _tell_of_rejection(parsed: ParsedMessage) -> None:
    """Tell a writer whose message held nothing to read what was wrong with it:
    not an automatic message, nor one the agency's mail server marked as forged."""
    authentication = authentication_read(
        parsed.authentication_results,
        authserv_id=settings.NEWSDESK_TRUSTED_AUTHSERV_ID,
    )
    if not parsed.sender_email or parsed.automatic:
        return
    if authentication_failure(authentication):
        return
    try:
        rejection_build(
            to=parsed.sender_email,
            subject=parsed.subject,
            message_id=parsed.message_id,
            problems=parsed.problems,
        ).send()
    except Exception:
        # The message stays stored and rejected; the writer is not told this time.
        logger.exception("Could not tell a writer their message was empty")


PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"})


def attachment_kind(attachment: ParsedAttachment) -> str:
    """Return what a file a message carried is to the newsroom: document, photo, other."""
    name = attachment.filename.lower()
    if is_document(name):
        return SubmissionFile.Kind.DOCUMENT
    if attachment.content_type.startswith("image/") or name.endswith(
        tuple(PHOTO_SUFFIXES)
    ):
        return SubmissionFile.Kind.PHOTO
    return SubmissionFile.Kind.OTHER


@dataclass(frozen=True)
class _Story:
    """What a message's story is: its HTML, the writer's note, and where it came from."""

    html: str
    cover_note_html: str
    problems: tuple[str, ...]
    document: int | None  # the index of the attachment it was read from


def _story_of(parsed: ParsedMessage) -> _Story:
    """Return the story a message holds: the first attached document that can be
    read (the message's text is then the cover note), else the message's text."""
    problems: list[str] = []
    for index, attachment in enumerate(parsed.attachments):
        if attachment_kind(attachment) != SubmissionFile.Kind.DOCUMENT:
            continue
        try:
            document = document_read(attachment.filename, attachment.data)
        except DocumentError as error:
            problems.append(str(error))
            continue
        return _Story(
            html=document.html,
            cover_note_html=parsed.body_html,
            problems=tuple(problems + list(document.problems)),
            document=index,
        )
    return _Story(
        html=parsed.body_html,
        cover_note_html="",
        problems=tuple(problems),
        document=None,
    )


def _photo_problems(parsed: ParsedMessage) -> list[str]:
    """Return why photos a message carried cannot be used (too many pixels, not an
    image), found on arrival so that the writer's receipt can say so."""
    found = []
    for attachment in parsed.attachments:
        if attachment_kind(attachment) == SubmissionFile.Kind.PHOTO:
            problem = photo_problem(attachment.filename, attachment.data)
            if problem:
                found.append(problem)
    return found


def submission_receive(
    *,
    parsed: ParsedMessage,
    raw: RawMessage | None,
    received_at: datetime | None = None,
) -> Submission:
    """Put a parsed contribution in the incoming queue; one submission per Message-ID."""
    received = received_at or (raw.received_at if raw else timezone.now())
    sender_email = parsed.sender_email or (raw.envelope_from.lower() if raw else "")
    story = _story_of(parsed)
    problems = [
        p for p in parsed.problems if not (p == NO_TEXT and story.document is not None)
    ]
    problems += story.problems
    problems += _photo_problems(parsed)
    authentication = authentication_read(
        parsed.authentication_results,
        authserv_id=settings.NEWSDESK_TRUSTED_AUTHSERV_ID,
    )
    forged = authentication_failure(authentication)
    if forged:
        problems.append(forged)
    # Kept before the row that names them, each flushed to disk (content-addressed).
    stored = [attachment_store(attachment.data) for attachment in parsed.attachments]
    if not sender_email:
        problems.append("The message had no sender address.")
    thread = _thread_of(parsed, sender_email)
    if thread is not None:
        return _note_from_writer(thread, parsed, raw)
    text = html_to_plain_text(story.html)
    language = language_guess(parsed.subject + "\n" + text)
    kind = kind_guess(subject=parsed.subject, text=text)
    try:
        with transaction.atomic():
            if parsed.message_id:
                existing = Submission.objects.filter(
                    message_id=parsed.message_id
                ).first()
                if existing is not None:
                    _mark_duplicate(raw, existing)
                    return existing
            submission = Submission.objects.create(
                raw_message=raw,
                message_id=parsed.message_id,
                sender_email=sender_email,
                sender_name=parsed.sender_name,
                headline=_headline_for(parsed),
                body_html=story.html,
                cover_note_html=story.cover_note_html,
                language=language,
                kind=kind,
                desk=desk_for(language=language, kind=kind),
                received_at=received,
                problems=problems,
                authentication=authentication.as_json(),
                state=_arrival_state(forged=bool(forged), sender_email=sender_email),
                contributor=Contributor.objects.filter(email=sender_email).first()
                if sender_email
                else None,
            )
            SubmissionFile.objects.bulk_create(
                SubmissionFile(
                    submission=submission,
                    name=attachment.filename,
                    content_type=attachment.content_type[:255],
                    size=len(attachment.data),
                    sha256=sha256,
                    path=path,
                    kind=attachment_kind(attachment),
                    is_story=index == story.document,
                )
                for index, (attachment, (path, sha256)) in enumerate(
                    zip(parsed.attachments, stored, strict=True)
                )
            )
            if raw is not None:
                RawMessage.objects.filter(pk=raw.pk).update(
                    state=RawMessage.State.PARSED,
                    message_id=parsed.message_id,
                    outcome=f"Submission #{submission.pk}",
                )
            transaction.on_commit(
                lambda: submission_received.send(
                    sender=Submission, submission=submission
                )
            )
            submission_matches_find(submission=submission)
            if not parsed.automatic:
                # A new writer is asked to confirm first; the receipt follows.
                first = (
                    NOTICE_CONFIRM
                    if submission.state == Submission.State.UNCONFIRMED
                    else NOTICE_RECEIPT
                )
                transaction.on_commit(lambda: _enqueue_notice(submission.pk, first))
            return submission
    except IntegrityError:
        # Another process stored the same Message-ID between our check and insert.
        existing = Submission.objects.get(message_id=parsed.message_id)
        _mark_duplicate(raw, existing)
        return existing


def _arrival_state(*, forged: bool, sender_email: str) -> str:
    """Return where a new submission waits: held apart when its sender may be
    forged, for the writer's confirmation when they are new, else in the queue."""
    if forged:
        return Submission.State.QUARANTINED
    if settings.NEWSDESK_CONFIRM_NEW_WRITERS and not _is_known_writer(sender_email):
        return Submission.State.UNCONFIRMED
    return Submission.State.NEW


def _is_known_writer(sender_email: str) -> bool:
    return (
        bool(sender_email)
        and Contributor.objects.filter(
            email=sender_email.lower(), confirmed_at__isnull=False
        ).exists()
    )


@transaction.atomic
def submission_confirm(*, submission: Submission) -> list[Submission]:
    """Confirm a new writer's address (they followed the link we sent it): their
    waiting submissions go to the queue, and each gets its receipt. Confirming
    agrees to the contributor terms (the page says so).

    Returns the submissions released. Confirming twice changes nothing.
    """
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not submission.sender_email:
        return []
    contributor = contributor_get_or_create(
        email=submission.sender_email, name=submission.sender_name
    )
    if contributor.confirmed_at is None:
        contributor.confirmed_at = timezone.now()
        contributor.save(update_fields=["confirmed_at", "updated_at"])
    # The confirmation page says that confirming agrees to the contributor terms.
    contributor_agree_to_terms(contributor=contributor)
    waiting = list(
        Submission.objects.select_for_update().filter(
            sender_email__iexact=submission.sender_email,
            state=Submission.State.UNCONFIRMED,
        )
    )
    for released in waiting:
        released.state = Submission.State.NEW
        released.contributor = contributor
        released.save(update_fields=["state", "contributor", "updated_at"])
        transaction.on_commit(
            lambda pk=released.pk: _enqueue_notice(pk, NOTICE_RECEIPT)  # type: ignore[misc]
        )
    return waiting


def submissions_expire_unconfirmed() -> int:
    """Give up on submissions whose writer never confirmed; return how many.

    Run by the worker. The message stays stored, as everything sent does.
    """
    limit = timezone.now() - timedelta(days=settings.NEWSDESK_CONFIRM_DAYS)
    return Submission.objects.filter(
        state=Submission.State.UNCONFIRMED, received_at__lt=limit
    ).update(state=Submission.State.EXPIRED, updated_at=timezone.now())


def _thread_of(parsed: ParsedMessage, sender_email: str) -> Submission | None:
    """Return the submission a message answers: a reply to one of our notices from
    the same address the submission came from."""
    if not parsed.replies_to or not sender_email:
        return None
    return Submission.objects.filter(
        receipt_message_id__in=list(parsed.replies_to),
        sender_email__iexact=sender_email,
    ).first()


@transaction.atomic
def _note_from_writer(
    submission: Submission, parsed: ParsedMessage, raw: RawMessage | None
) -> Submission:
    """Keep a writer's reply as a note on their submission."""
    note = SubmissionNote.objects.create(
        submission=submission,
        from_writer=True,
        author_name=parsed.sender_name or submission.sender_name,
        body_html=parsed.body_html,
        raw_message=raw,
    )
    if raw is not None:
        RawMessage.objects.filter(pk=raw.pk).update(
            state=RawMessage.State.PARSED,
            message_id=parsed.message_id,
            outcome=f"Note #{note.pk} on submission #{submission.pk}",
        )
    return submission


NOTICE_RECEIPT = "receipt"
NOTICE_CONFIRM = "confirm"
NOTICE_PUBLISHED = "published"
NOTICE_DECLINED = "declined"


def _enqueue_notice(submission_id: int, kind: str) -> None:
    from .tasks import send_submission_notice

    send_submission_notice.enqueue(submission_id, kind)


def submission_notice_send(*, submission: Submission, kind: str) -> bool:
    """Send a writer a notice (receipt, published, declined) once; say if it went.

    Safe to run twice: a notice already sent is not sent again.
    """
    submission = Submission.objects.select_related("story").get(pk=submission.pk)
    if not may_write_to(submission):
        return False
    if kind == NOTICE_RECEIPT:
        if submission.receipt_message_id:
            return False
        message = notice_build(submission, kind=kind)
        message.send()
        Submission.objects.filter(pk=submission.pk).update(
            receipt_message_id=message.extra_headers["Message-ID"]
        )
        return True
    if kind == NOTICE_CONFIRM and submission.state != Submission.State.UNCONFIRMED:
        return False
    sent_field = {
        NOTICE_CONFIRM: "confirmation_sent_at",
        NOTICE_PUBLISHED: "published_notice_sent_at",
        NOTICE_DECLINED: "decline_notice_sent_at",
    }[kind]
    if getattr(submission, sent_field) is not None:
        return False
    if kind == NOTICE_PUBLISHED and (
        submission.story is None or not submission.story.live
    ):
        return False
    notice_build(submission, kind=kind).send()
    Submission.objects.filter(pk=submission.pk).update(**{sent_field: timezone.now()})
    return True


@transaction.atomic
def submission_decline(*, submission: Submission, note: str, by: User) -> Submission:
    """Decline a submission with a note that reaches the writer."""
    if not by.has_perm("contributions.accept_submission"):
        raise PermissionDeniedError("You may not decline submissions.")
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.state not in (Submission.State.NEW, Submission.State.QUARANTINED):
        raise SubmissionStateError(
            f"Submission #{submission.pk} was already "
            f"{submission.get_state_display().lower()}."
        )
    submission.state = Submission.State.DECLINED
    submission.decision_note = note.strip()
    submission.decided_by = by
    submission.decided_at = timezone.now()
    submission.save(
        update_fields=[
            "state",
            "decision_note",
            "decided_by",
            "decided_at",
            "updated_at",
        ]
    )
    pk = submission.pk
    transaction.on_commit(lambda: _enqueue_notice(pk, NOTICE_DECLINED))
    return submission


def submission_story_published(*, story: StoryPage) -> int:
    """Tell the writers of a story that came from submissions that it is published;
    return how many notices were queued."""
    waiting = list(
        Submission.objects.filter(
            story=story, published_notice_sent_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for pk in waiting:
        transaction.on_commit(
            lambda pk=pk: _enqueue_notice(pk, NOTICE_PUBLISHED)  # type: ignore[misc]
        )
    return len(waiting)


def _mark_duplicate(raw: RawMessage | None, existing: Submission) -> None:
    if raw is not None and existing.raw_message_id != raw.pk:
        RawMessage.objects.filter(pk=raw.pk).update(
            state=RawMessage.State.DUPLICATE,
            outcome=f"Same Message-ID as submission #{existing.pk}",
        )


@transaction.atomic
def submission_accept(
    *,
    submission: Submission,
    section: SectionPage,
    by: User,
    kind: str | None = None,
    language: str | None = None,
) -> StoryPage:
    """Turn a new submission into a draft story in a section, bylined to its sender.

    ``kind`` and ``language`` are the editor's; by default the guessed ones stand.
    """
    if not by.has_perm("contributions.accept_submission"):
        raise PermissionDeniedError("You may not accept submissions.")
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    # A held message can be accepted too: the editor has seen the warning on it.
    if submission.state not in (Submission.State.NEW, Submission.State.QUARANTINED):
        raise SubmissionStateError(
            f"Submission #{submission.pk} was already {submission.get_state_display().lower()}."
        )
    if submission.sender_email:
        contributor = contributor_get_or_create(
            email=submission.sender_email, name=submission.sender_name
        )
        if contributor.confirmed_at is None:  # an editor accepting vouches for them
            contributor.confirmed_at = timezone.now()
            contributor.save(update_fields=["confirmed_at", "updated_at"])
        byline = contributor.person
    else:
        contributor = None
        byline = Person.objects.create(
            name=submission.sender_name or "Unknown contributor",
            kind=Person.Kind.CONTRIBUTOR,
        )
    photos = _photos_to_library(submission, by=by)
    lead = next((photo for photo in photos if photo.caption), None)
    story = story_create_draft(
        section=section,
        headline=submission.headline,
        body=submission.body_html,
        authors=[byline],
        by=by,
        kind=kind or submission.kind,
        language=language or submission.language,
        # The writer's caption describes the picture; the editor checks it as alt
        # text before publishing. A photo without one waits in the library.
        lead_image=lead.image if lead else None,
        lead_image_alt=lead.caption if lead else "",
        lead_image_caption=lead.caption if lead else "",
        lead_image_credit=lead.credit if lead else "",
        note=f"From submission #{submission.pk}",
    )
    submission.state = Submission.State.ACCEPTED
    submission.story = story
    submission.contributor = contributor
    submission.decided_by = by
    submission.decided_at = timezone.now()
    # The editor's kind and language stand now, and with them the desk.
    submission.kind, submission.language = story.kind, story.language
    submission.desk = desk_for(language=story.language, kind=story.kind)
    submission.save(
        update_fields=[
            "state",
            "story",
            "contributor",
            "decided_by",
            "decided_at",
            "kind",
            "language",
            "desk",
            "updated_at",
        ]
    )
    return story


@dataclass(frozen=True)
class _LibraryPhoto:
    image: Any
    caption: str
    credit: str


def _photos_to_library(submission: Submission, *, by: User) -> list[_LibraryPhoto]:
    """Put a submission's photos into the image library, in a collection named after
    it, titled with their captions; a file that is no usable photo is noted."""
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    files = list(submission.files.filter(kind=SubmissionFile.Kind.PHOTO))
    if not files:
        return []
    text = html_to_plain_text(submission.cover_note_html or submission.body_html)
    texts = photo_texts(text, [stored.name for stored in files])
    collection = Collection.get_first_root_node().add_child(
        name=f"Submission {submission.pk}: {submission.headline}"[:255]
    )
    found = []
    problems = list(submission.problems)
    for stored in files:
        try:
            photo = photo_check(stored.name, submission_file_path(stored).read_bytes())
        except (PhotoError, OSError) as error:
            if str(error) not in problems:  # most were found on arrival
                problems.append(str(error))
            continue
        said = texts.get(stored.name) or PhotoText()
        credit = said.credit or submission.sender_name
        image = get_image_model().objects.create(
            title=(said.caption or photo.filename)[:255],
            file=ImageFile(io.BytesIO(photo.data), name=photo.filename),
            collection=collection,
            uploaded_by_user=by,
        )
        found.append(_LibraryPhoto(image=image, caption=said.caption, credit=credit))
    if problems != submission.problems:
        Submission.objects.filter(pk=submission.pk).update(problems=problems)
    return found


def submissions_digest_send() -> int:
    """Email each editor a list of the submissions that reached their desks' queue
    since the last digest; return how many submissions were in them. Run by the
    worker every hour.

    Editors are the active users who may accept submissions and have an address. A
    desk member hears of their desks' submissions, and of those of a desk nobody
    staffs; an editor on no desk hears of all. A submission is in one round of
    digests only, so running it twice sends nothing new.
    """
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        waiting = list(
            # Only the submissions' rows are locked (PostgreSQL locks no outer join).
            Submission.objects.select_for_update(of=("self",))
            .filter(state=Submission.State.NEW, digest_sent_at__isnull=True)
            .select_related("desk")
            .order_by("received_at", "pk")
        )
        if not waiting:
            return 0
        editors = [
            user
            for user in get_user_model()
            .objects.filter(is_active=True)
            .exclude(email="")
            .prefetch_related("desks")
            if user.has_perm("contributions.accept_submission")
        ]
        Submission.objects.filter(pk__in=[s.pk for s in waiting]).update(
            digest_sent_at=timezone.now()
        )
    staffed = {desk.pk for editor in editors for desk in editor.desks.all()}
    for editor in editors:
        mine = {desk.pk for desk in editor.desks.all()}
        theirs = [
            submission
            for submission in waiting
            if not mine
            or submission.desk_id in mine
            or submission.desk_id not in staffed
        ]
        if theirs:
            _digest_mail(editor.email, theirs)
    return len(waiting)


def _digest_mail(address: str, submissions: list[Submission]) -> None:
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string

    body = render_to_string(
        "contributions/mail/digest.txt",
        {
            "submissions": submissions,
            "site_name": settings.NEWSDESK_SITE_NAME,
            "newsroom_url": settings.NEWSDESK_SITE_URL,
        },
    )
    count = len(submissions)
    EmailMessage(
        subject=f"{count} new submission{'s' if count != 1 else ''} to read",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    ).send()


def raw_messages_parse_pending() -> int:
    """Parse every stored raw message that has no submission yet; return how many."""
    count = 0
    pending = RawMessage.objects.filter(
        state__in=(RawMessage.State.STORED, RawMessage.State.FAILED)
    ).order_by("received_at", "pk")
    for raw in pending.iterator():
        raw_message_parse(raw=raw)
        count += 1
    return count
