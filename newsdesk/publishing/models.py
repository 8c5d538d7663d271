"""What the publisher keeps between publishes: a summary of every listing.

The date archive's index lists every month with its number of stories, and the
sitemaps carry every month's, section's, person's and tag's last change. Grouping the
whole archive for them on every publish cost over half a second at 55,000 stories, so
the publisher keeps one row per listing instead: a publish updates the rows of the
listings it rewrites, a full rebuild writes them all afresh.
"""

from __future__ import annotations

from django.db import models


class ListingSummary(models.Model):
    """How many live stories one listing holds, and when the latest of them changed."""

    class Kind(models.TextChoices):
        SECTION = "section", "section (key: its tree path)"
        AUTHOR = "author", "person in a byline (key: their id)"
        TAG = "tag", "tag (key: its id)"
        MONTH = "month", "month of the date archive, site time zone (key: YYYY-MM)"
        SITEMAP_MONTH = (
            "sitemap-month",
            "month of the story sitemaps, UTC (key: YYYY-MM)",
        )
        COMPLETE = "complete", "mark: every listing has its row (key: empty)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=255, blank=True)
    count = models.PositiveIntegerField(default=0)
    last_modified = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "listing summary"
        verbose_name_plural = "listing summaries"
        constraints = (
            models.UniqueConstraint(
                fields=("kind", "key"), name="publishing_listing_summary_unique"
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.count}"
