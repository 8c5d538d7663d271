"""Finding what a submission repeats: earlier submissions and published stories.

A submission is fingerprinted when it arrives and compared with every fingerprint
sharing a band; a story is fingerprinted when it is published (and the worker
fingerprints the archive's stories that have none yet, a batch at a time).
"""

from __future__ import annotations

from django.db import transaction

from newsdesk.stories.models import StoryPage

from .models import FingerprintBand, Submission, SubmissionMatch, TextFingerprint
from .sanitise import html_to_plain_text
from .similarity import band_keys, estimated_overlap, signature

# Share of five-word runs in common from which a text is shown as a near-duplicate:
# a piece sent twice or lightly edited shares most; two stories on one event
# written apart share almost none.
MATCH_THRESHOLD = 0.3
MATCHES_SHOWN = 5
BACKFILL_BATCH = 500


def _text(html: str, headline: str = "") -> str:
    return headline + "\n" + html_to_plain_text(html)


def _fingerprint(
    text: str, *, submission: Submission | None = None, story: StoryPage | None = None
) -> TextFingerprint | None:
    sig = signature(text)
    if not sig:
        return None
    fingerprint = TextFingerprint.objects.create(
        submission=submission, story=story, signature=list(sig)
    )
    FingerprintBand.objects.bulk_create(
        FingerprintBand(fingerprint=fingerprint, key=key) for key in band_keys(sig)
    )
    return fingerprint


@transaction.atomic
def submission_matches_find(*, submission: Submission) -> list[SubmissionMatch]:
    """Fingerprint a new submission and record the earlier texts it repeats."""
    TextFingerprint.objects.filter(submission=submission).delete()
    SubmissionMatch.objects.filter(submission=submission).delete()
    fingerprint = _fingerprint(
        _text(submission.body_html, submission.headline), submission=submission
    )
    if fingerprint is None:
        return []
    keys = list(fingerprint.bands.values_list("key", flat=True))
    candidates = (
        TextFingerprint.objects.filter(bands__key__in=keys)
        .exclude(pk=fingerprint.pk)
        .distinct()
    )
    found = []
    for candidate in candidates:
        overlap = estimated_overlap(fingerprint.signature, candidate.signature)
        if overlap >= MATCH_THRESHOLD:
            found.append(
                SubmissionMatch(
                    submission=submission,
                    other_submission_id=candidate.submission_id,
                    story_id=candidate.story_id,
                    overlap=overlap,
                )
            )
    found.sort(key=lambda match: -match.overlap)
    return SubmissionMatch.objects.bulk_create(found[:MATCHES_SHOWN])


@transaction.atomic
def story_fingerprint_update(*, story: StoryPage) -> TextFingerprint | None:
    """Fingerprint a published story's text (again, after an update)."""
    TextFingerprint.objects.filter(story=story).delete()
    return _fingerprint(_text(story.body, story.title), story=story)


def story_fingerprints_backfill(limit: int = BACKFILL_BATCH) -> int:
    """Fingerprint live stories that have none yet, a batch at a time; return how
    many (the worker runs it until the archive is done)."""
    done = TextFingerprint.objects.filter(story__isnull=False).values("story_id")
    waiting = (
        StoryPage.objects.live().exclude(pk__in=done).only("title", "body")[:limit]
    )
    count = 0
    for story in waiting:
        story_fingerprint_update(story=story)
        count += 1
    return count
