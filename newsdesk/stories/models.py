"""Stories are Wagtail pages under section pages under the home page; people are
models the byline points to; story events record the agency's actions on a story."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils.text import slugify
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from newsdesk.core.models import BaseModel

RTL_LANGUAGES = frozenset({"ar", "fa", "prs", "ps", "ur", "he"})

# The rich-text features an editor gets; the contribution sanitiser keeps the same set.
BODY_FEATURES = [
    "h2",
    "h3",
    "h4",
    "bold",
    "italic",
    "ol",
    "ul",
    "link",
    "blockquote",
    "hr",
]


# StoryAuthor builds on Wagtail's untyped Orderable, so the plugin cannot see `credits`.
class Person(BaseModel, index.Indexed):  # type: ignore[django-manager-missing]
    """Someone a byline can name: a staff reporter or an outside contributor."""

    class Kind(models.TextChoices):
        STAFF = "staff", "Staff"
        CONTRIBUTOR = "contributor", "Contributor"
        ORGANISATION = "organisation", "Organisation"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.CONTRIBUTOR
    )
    bio = models.TextField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        help_text="The newsroom account of a staff member, if they have one.",
    )

    panels: ClassVar[list[Any]] = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("kind"),
        FieldPanel("bio"),
        FieldPanel("user"),
    ]
    search_fields: ClassVar[list[Any]] = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
    ]

    class Meta:
        ordering = ("name",)
        verbose_name = "person"
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = unique_person_slug(self.name)
        super().save(*args, **kwargs)


def unique_person_slug(name: str) -> str:
    """Return a slug for ``name`` that no person has yet."""
    base = slugify(name, allow_unicode=True)[:180] or "person"
    slug, n = base, 1
    while Person.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class HomePage(Page):
    """The front page of the reader site; the root of every section."""

    max_count = 1
    subpage_types: ClassVar[list[str]] = ["stories.SectionPage"]
    parent_page_types: ClassVar[list[str]] = ["wagtailcore.Page"]

    class Meta:
        verbose_name = "home page"

    def get_context(
        self, request: HttpRequest | None = None, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        from .selectors import home_context

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        context.update(home_context(self))
        return context


class SectionPage(Page):
    """A section of the site (Politics, Business ...) holding its stories."""

    description = models.TextField(
        blank=True, help_text="One or two sentences shown on the section front."
    )

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldPanel("description"),
    ]
    parent_page_types: ClassVar[list[str]] = ["stories.HomePage"]
    subpage_types: ClassVar[list[str]] = ["stories.StoryPage"]

    class Meta:
        verbose_name = "section"

    def get_context(
        self, request: HttpRequest | None = None, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        from .selectors import section_context

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        context.update(section_context(self))
        return context


class StoryPage(Page):
    """One story: news, opinion, editorial, analysis or feature."""

    class Kind(models.TextChoices):
        NEWS = "news", "News"
        OPINION = "opinion", "Opinion"
        EDITORIAL = "editorial", "Editorial"
        ANALYSIS = "analysis", "Analysis"
        FEATURE = "feature", "Feature"

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        DARI = "prs", "Dari"
        PASHTO = "ps", "Pashto"

    standfirst = models.TextField(
        blank=True, help_text="The summary under the headline."
    )
    dateline = models.CharField(
        max_length=100, blank=True, help_text="Where the story was filed, e.g. KABUL."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS)
    language = models.CharField(
        max_length=10, choices=Language.choices, default=Language.ENGLISH
    )
    body = RichTextField(features=BODY_FEATURES, blank=True)
    source_credit = models.CharField(
        max_length=500,
        blank=True,
        help_text="Credit for copy that came from elsewhere, shown under the story.",
    )
    source_url = models.URLField(max_length=500, blank=True)

    content_panels: ClassVar[list[Any]] = [
        FieldPanel("title", heading="Headline"),
        FieldPanel("standfirst"),
        MultiFieldPanel(
            [FieldPanel("dateline"), FieldPanel("kind"), FieldPanel("language")],
            heading="About this story",
        ),
        InlinePanel("authors", heading="Byline", label="Author", min_num=0),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("source_credit"), FieldPanel("source_url")], heading="Source"
        ),
    ]
    search_fields: ClassVar[list[Any]] = [
        *Page.search_fields,
        index.SearchField("standfirst"),
        index.SearchField("body"),
    ]
    parent_page_types: ClassVar[list[str]] = ["stories.SectionPage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "story"
        verbose_name_plural = "stories"

    @property
    def headline(self) -> str:
        return str(self.title)

    @property
    def text_direction(self) -> str:
        return "rtl" if self.language in RTL_LANGUAGES else "ltr"

    def get_context(
        self, request: HttpRequest | None = None, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        from .selectors import story_context

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        context.update(story_context(self))
        return context


class StoryAuthor(Orderable):
    """One name in a story's byline, in order."""

    story = ParentalKey(StoryPage, on_delete=models.CASCADE, related_name="authors")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="credits")

    panels: ClassVar[list[Any]] = [FieldPanel("person")]

    class Meta(Orderable.Meta):
        verbose_name = "author"

    def __str__(self) -> str:
        return f"{self.person} on {self.story_id}"


class StoryEvent(BaseModel):
    """Something the agency did to a story: who, what, when, and why."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", "Accepted from a submission"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"

    story = models.ForeignKey(
        StoryPage, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.story_id} by {self.actor_id}"
