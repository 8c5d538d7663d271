"""The reader search index: one row per live story, in the words readers search for.

The rows are written through the ORM on every database. What makes them searchable
is the database's own, added by migration 0001 for one vendor only: on SQLite an
FTS5 table over this one (``search_indexedstory_fts``) kept in step by triggers; on
PostgreSQL a generated ``search_vector`` column with a GIN index. A later migration
that makes SQLite rebuild this table must create the triggers again.
"""

from __future__ import annotations

from django.db import models

from newsdesk.stories.models import SectionPage, StoryPage


class IndexedStory(models.Model):
    """A live story as the reader search holds it: plain, normalised text."""

    story = models.OneToOneField(
        StoryPage, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(max_length=10)
    title = models.TextField()
    standfirst = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="The body's text, without markup.")
    byline = models.TextField(blank=True, help_text="The byline's names.")
    section = models.ForeignKey(
        SectionPage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_published_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "indexed story"
        verbose_name_plural = "indexed stories"

    def __str__(self) -> str:
        return f"{self.title} ({self.story_id})"
