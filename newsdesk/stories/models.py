"""Stories are Wagtail pages under section pages under the home page; people are
models the byline points to; story events record the agency's actions on a story."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import (
    AbstractGroupApprovalTask,
    Orderable,
    Page,
    Workflow,
    WorkflowPage,
)
from wagtail.search import index

from newsdesk.core.models import BaseModel

from .forms import StoryPageForm

# Where a live story without a first_published_at (imported data) sorts: oldest.
UNDATED = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
RTL_LANGUAGES = frozenset({"ar", "fa", "prs", "ps", "ur", "he"})
TOP_STORIES_MAX = 6
# Where a review step sends a reviewer whose approval could not publish the story.
NOT_APPROVED_PARAM = "not_approved"

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
    "image",
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
    photo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A portrait for their author page.",
    )
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
        FieldPanel("photo"),
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


# The reader site is static files that anyone can fetch: a page cannot be private
# there, so Wagtail's privacy setting (password, signed-in users, groups) is not
# offered, rather than promising a privacy the site would not keep.
NO_PRIVACY: list[str] = []


class HomePage(Page):
    """The front page of the reader site; the root of every section."""

    private_page_options: ClassVar[list[str]] = NO_PRIVACY

    max_count = 1
    subpage_types: ClassVar[list[str]] = ["stories.SectionPage", "stories.InfoPage"]
    parent_page_types: ClassVar[list[str]] = ["wagtailcore.Page"]

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        InlinePanel(
            "top_stories",
            heading="Top stories",
            label="Top story",
            help_text="Shown first on the home page, in this order; the latest "
            "stories follow. A story taken off the site drops out by itself.",
            max_num=TOP_STORIES_MAX,
        ),
    ]

    class Meta:
        verbose_name = "home page"

    def get_context(
        self, request: HttpRequest | None = None, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        from .selectors import home_context

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        context.update(home_context(self))
        return context


class InfoPage(Page):
    """A page about the agency itself: about us, how to contribute, contact."""

    private_page_options: ClassVar[list[str]] = NO_PRIVACY

    standfirst = models.TextField(blank=True, help_text="One or two sentences.")
    body = RichTextField(features=BODY_FEATURES, blank=True)
    show_submissions_address = models.BooleanField(
        default=False,
        verbose_name="show where to send stories",
        help_text="Show the address contributors send stories, opinions and "
        "editorials to (for the contribute page).",
    )

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldPanel("standfirst"),
        FieldPanel("body"),
        FieldPanel("show_submissions_address"),
    ]
    parent_page_types: ClassVar[list[str]] = ["stories.HomePage"]
    subpage_types: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "information page"

    def clean(self) -> None:
        super().clean()
        _refuse_reserved_slug(self)

    def get_context(
        self, request: HttpRequest | None = None, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        from .selectors import info_context

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        context.update(info_context(self))
        return context


# First parts of reader paths that belong to the site itself: a section or an
# information page with one of these slugs would hide them.
RESERVED_SLUGS = frozenset(
    {
        "api",
        "archive",
        "assets",
        "authors",
        "images",
        "media",
        "newsroom",
        "partners",
        "search",
        "sitemaps",
        "static",
        "tags",
        "documents",
    }
)


def _refuse_reserved_slug(page: Page) -> None:
    if page.slug in RESERVED_SLUGS:
        raise ValidationError(
            {
                "slug": f"The address /{page.slug}/ is the site's own; choose another slug."
            }
        )


class SectionPage(Page):
    """A section of the site (Politics, Business ...) holding its stories."""

    private_page_options: ClassVar[list[str]] = NO_PRIVACY

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

    def clean(self) -> None:
        super().clean()
        _refuse_reserved_slug(self)

    def get_context(
        self, request: HttpRequest | None = None, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        from .selectors import section_context

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        context.update(section_context(self))
        return context


def _text_input() -> forms.TextInput:
    return forms.TextInput(attrs={"dir": "auto"})


def _text_area() -> forms.Textarea:
    return forms.Textarea(attrs={"dir": "auto", "rows": 3})


class StoryPage(Page):
    """One story: news, opinion, editorial, analysis or feature."""

    private_page_options: ClassVar[list[str]] = NO_PRIVACY
    base_form_class = StoryPageForm

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
    killed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it was withdrawn."
    )
    killed_path = models.CharField(
        max_length=500,
        blank=True,
        db_index=True,
        editable=False,
        help_text="The reader address it had, which now answers 410 Gone.",
    )
    kill_reason = models.TextField(
        blank=True, editable=False, help_text="Why it was withdrawn, shown to readers."
    )
    embargo_until = models.DateTimeField(
        "embargoed until",
        null=True,
        blank=True,
        help_text="Hold the story until this time: readers, feeds, sitemaps and "
        "search see nothing of it before, and it goes live by itself then. Partners "
        "allowed embargoed copy get it earlier, marked as embargoed. Publish (or "
        "approve) it as usual to set the embargo going.",
    )
    tags = ClusterTaggableManager(through="stories.StoryTag", blank=True)
    lead_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The picture at the top of the story, and in links shared elsewhere.",
    )
    lead_image_alt = models.CharField(
        "alt text",
        max_length=300,
        blank=True,
        help_text="What the picture shows, for readers who cannot see it. "
        "Required with a lead image.",
    )
    lead_image_caption = models.CharField("caption", max_length=500, blank=True)
    lead_image_credit = models.CharField(
        "credit", max_length=200, blank=True, help_text="Who took or owns the picture."
    )

    content_panels: ClassVar[list[Any]] = [
        # dir="auto": Dari and Pashto run right to left as they are typed (the
        # body's editor sets each paragraph's direction from its text itself).
        FieldPanel("title", heading="Headline", widget=_text_input()),
        FieldPanel("standfirst", widget=_text_area()),
        MultiFieldPanel(
            [
                FieldPanel("dateline", widget=_text_input()),
                FieldPanel("kind"),
                FieldPanel("language"),
            ],
            heading="About this story",
        ),
        InlinePanel("authors", heading="Byline", label="Author", min_num=0),
        MultiFieldPanel(
            [
                FieldPanel("lead_image"),
                FieldPanel("lead_image_alt", widget=_text_input()),
                FieldPanel("lead_image_caption", widget=_text_input()),
                FieldPanel("lead_image_credit", widget=_text_input()),
            ],
            heading="Lead image",
        ),
        FieldPanel("embargo_until"),
        InlinePanel(
            "updates",
            heading="Updates",
            label="Update",
            help_text="For a developing story: each update is shown at the top of "
            "the story, newest first, with its time; publishing one moves the "
            "story's updated time. Its address stays the same.",
        ),
        FieldPanel("body"),
        FieldPanel("tags"),
        MultiFieldPanel(
            [
                FieldPanel("source_credit", widget=_text_input()),
                FieldPanel("source_url"),
            ],
            heading="Source",
        ),
        InlinePanel(
            "corrections",
            heading="Corrections",
            label="Correction",
            help_text="A dated note on what was wrong, shown on the story. "
            "Corrections are public: once published, one cannot be removed or "
            "rewritten; put a wrong one right with another.",
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
        permissions = (
            ("kill_story", "Can kill (withdraw) a published story"),
            (
                "work_on_every_desk",
                "Can edit, approve and publish the stories of every desk",
            ),
        )

    def get_workflow(self) -> Any:
        """The review this story goes through: one an administrator assigned to
        its section (or to the story) itself; otherwise the review for its kind
        (``NEWSDESK_REVIEW_BY_KIND``: opinion and editorials get the desk's then the
        chief editor's approval); otherwise the site's."""
        workflow = super().get_workflow()
        review = settings.NEWSDESK_REVIEW_BY_KIND.get(self.kind)
        if workflow is None or not review or workflow.name == review:
            return workflow
        here = [pk for pk in (self.pk, self.get_parent().pk if self.pk else None) if pk]
        if WorkflowPage.objects.filter(
            page_id__in=here, workflow__active=True
        ).exists():
            return workflow
        return Workflow.objects.filter(name=review, active=True).first() or workflow

    def clean(self) -> None:
        super().clean()
        if self.lead_image_id is not None and not self.lead_image_alt.strip():
            raise ValidationError(
                {
                    "lead_image_alt": "Describe the lead image for readers who "
                    "cannot see it: alt text is required with a lead image."
                }
            )
        self._clean_embargo()

    def _clean_embargo(self) -> None:
        """Hold an embargoed story back: it goes live no earlier than the embargo
        ends, through Wagtail's scheduled publishing (the worker publishes it)."""
        if self.embargo_until is None or self.embargo_until <= timezone.now():
            return
        if self.live:
            raise ValidationError(
                {
                    "embargo_until": "This story is already public, so an embargo "
                    "cannot hide it. Clear the embargo, or unpublish the story first."
                }
            )
        go_live_at: dt.datetime | None = self.go_live_at  # type: ignore[has-type]
        if go_live_at is None or go_live_at < self.embargo_until:
            self.go_live_at = self.embargo_until

    @property
    def embargoed(self) -> bool:
        """Whether this version is held back by an embargo still to end."""
        return self.embargo_until is not None and self.embargo_until > timezone.now()

    def permissions_for_user(self, user: Any) -> Any:
        """Wagtail's page permissions, within the stories of the user's desks."""
        from .permissions import story_permissions

        return story_permissions(user, self)

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


class StoryTag(TaggedItemBase):
    """One tag on a story (the tags themselves are taggit's, shared by all stories)."""

    content_object = ParentalKey(
        StoryPage, on_delete=models.CASCADE, related_name="tagged_items"
    )


class Correction(Orderable):
    """A dated, public note on what a published story got wrong."""

    story = ParentalKey(StoryPage, on_delete=models.CASCADE, related_name="corrections")
    published_at = models.DateTimeField(
        "date", default=timezone.now, help_text="When the correction was made."
    )
    note = models.TextField(help_text="What was wrong and what is right.")

    panels: ClassVar[list[Any]] = [FieldPanel("published_at"), FieldPanel("note")]

    class Meta(Orderable.Meta):
        verbose_name = "correction"

    def __str__(self) -> str:
        return f"Correction to {self.story_id}: {self.note[:40]}"

    @property
    def text_for_history(self) -> str:
        return self.note.strip()


class StoryUpdate(Orderable):
    """A timestamped update to a developing story, shown at its top."""

    story = ParentalKey(StoryPage, on_delete=models.CASCADE, related_name="updates")
    posted_at = models.DateTimeField(
        "time", default=timezone.now, help_text="When this update was made."
    )
    text = RichTextField(
        features=["bold", "italic", "link", "ul", "ol"],
        help_text="What is new; a few sentences.",
    )

    panels: ClassVar[list[Any]] = [FieldPanel("posted_at"), FieldPanel("text")]

    class Meta(Orderable.Meta):
        verbose_name = "update"

    def clean(self) -> None:
        super().clean()
        if not self.text_for_history:
            raise ValidationError(
                {"text": "Say what is new: an update needs some text."}
            )

    def __str__(self) -> str:
        return f"Update to {self.story_id} at {self.posted_at:%Y-%m-%d %H:%M}"

    @property
    def text_for_history(self) -> str:
        return strip_tags(self.text).strip()


class HomeTopStory(Orderable):
    """A story the editors put at the top of the home page."""

    home = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="top_stories")
    story = models.ForeignKey(StoryPage, on_delete=models.CASCADE, related_name="+")

    panels: ClassVar[list[Any]] = [FieldPanel("story")]

    class Meta(Orderable.Meta):
        verbose_name = "top story"
        verbose_name_plural = "top stories"

    def __str__(self) -> str:
        return f"Top story {self.story_id}"


class StoryEvent(BaseModel):
    """Something the agency did to a story: who, what, when, and why."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", "Accepted from a submission"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"
        KILLED = "killed", "Killed (withdrawn)"
        EMBARGOED = "embargoed", "Embargoed"
        UPDATED = "updated", "Update published"
        CORRECTED = "corrected", "Correction published"
        SUBMITTED = "submitted", "Submitted for review"
        APPROVED = "approved", "Approved in review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested in review"
        SCHEDULED = "scheduled", "Scheduled to go live"
        EXPIRY_SET = "expiry_set", "Set to be unpublished"
        SCHEDULE_CANCELLED = "schedule_cancelled", "Schedule cancelled"

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


class StoryListing(models.Model):
    """A live story's place in one list of the reader site: its section's, a byline
    person's or a tag's.

    Lists are read in the order of this table's index (kind, owner, first published,
    story), so the newest twenty of an author with 50,000 stories, or archive page 400
    of a section, cost the same as in a small archive. Rows exist for live stories
    only; ``story_listings_sync`` keeps them in step as stories are published,
    unpublished and moved.
    """

    class Kind(models.TextChoices):
        SECTION = "section", "section (owner: the section page)"
        AUTHOR = "author", "byline person (owner: the person)"
        TAG = "tag", "tag (owner: the tag)"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    owner_id = models.BigIntegerField()
    story = models.ForeignKey(
        StoryPage, on_delete=models.CASCADE, related_name="listings"
    )
    # The story's first_published_at, or UNDATED.
    first_published_at = models.DateTimeField()

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("kind", "owner_id", "story"), name="stories_listing_unique"
            ),
        )
        indexes = (
            models.Index(
                fields=("kind", "owner_id", "first_published_at", "story"),
                name="stories_listing_order",
            ),
        )

    def __str__(self) -> str:
        return f"{self.kind} {self.owner_id}: story {self.story_id}"


class Desk(BaseModel):
    """A team of editors and the work that is theirs: English news, Dari, Opinion ...

    What a desk takes is said by the languages and kinds of story it handles (none
    ticked: any). Incoming work goes to the desk that names it most closely: one
    naming both its language and its kind before one naming only one of them.
    """

    name = models.CharField(max_length=100, unique=True)
    languages = models.JSONField(
        default=list,
        blank=True,
        help_text="The languages of story it handles; none ticked: any language.",
    )
    kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="The kinds of story it handles; none ticked: any kind.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="desks",
        help_text="The editors who work on it: they are told of its new submissions.",
    )
    order = models.PositiveIntegerField(
        default=0, help_text="Desks are listed, and break ties, in this order."
    )

    class Meta:
        ordering = ("order", "name")

    def __str__(self) -> str:
        return self.name

    def takes(self, *, language: str, kind: str) -> bool:
        """Say whether this desk handles stories of this language and kind."""
        return (not self.languages or language in self.languages) and (
            not self.kinds or kind in self.kinds
        )

    @property
    def specificity(self) -> int:
        """How closely it names its work: by language and kind 2, by one 1, else 0."""
        return bool(self.languages) + bool(self.kinds)


class DeskApprovalTask(AbstractGroupApprovalTask):
    """A review step that members of the chosen groups approve, each for the
    stories of their own desks (those allowed every desk: for any)."""

    class Meta:
        verbose_name = "desk approval task"
        verbose_name_plural = "desk approval tasks"

    @staticmethod
    def _on_desk(obj: Any, user: Any) -> bool:
        from .selectors.desks import desk_allows

        return desk_allows(user=user, page=obj)

    def user_can_access_editor(self, obj: Any, user: Any) -> bool:
        allowed: bool = super().user_can_access_editor(obj, user)
        return allowed and self._on_desk(obj, user)

    def locked_for_user(self, obj: Any, user: Any) -> bool:
        locked: bool = super().locked_for_user(obj, user)
        return locked or not self._on_desk(obj, user)

    def user_can_lock(self, obj: Any, user: Any) -> bool:
        allowed: bool = super().user_can_lock(obj, user)
        return allowed and self._on_desk(obj, user)

    def get_actions(self, obj: Any, user: Any) -> list[Any]:
        if not self._on_desk(obj, user):
            return []
        actions: list[Any] = super().get_actions(obj, user)
        return actions

    def on_action(
        self, task_state: Any, user: Any, action_name: str, **kwargs: Any
    ) -> Any:
        """Approve, unless this approval would publish a story that is not ready
        (no byline, say): then it stays in review and the reviewer is sent to the
        editor, which says what to fix."""
        if action_name == "approve":
            from .selectors.checks import story_approval_problems

            if story_approval_problems(task_state):
                page_id = task_state.workflow_state.object_id
                edit = reverse("wagtailadmin_pages:edit", args=[page_id])
                return f"{edit}?{NOT_APPROVED_PARAM}=1"
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user: Any, **kwargs: Any) -> Any:
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        if user.is_superuser or user.has_perm("stories.work_on_every_desk"):
            return states
        mine = [
            state.pk
            for state in states.select_related("workflow_state")
            if self._on_desk(state.workflow_state.content_object, user)
        ]
        return states.filter(pk__in=mine)

    @classmethod
    def get_description(cls) -> str:
        return (
            "Members of the chosen groups approve, each for the stories of their "
            "own desks (Settings → Desks)"
        )
