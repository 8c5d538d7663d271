"""The newsroom's pages for partners: the partner form, its keys and webhook
secret, and the log of webhook deliveries.

Raw API keys and webhook secrets appear only in the answer to the POST that made
or asked for them (never in a message, the session, the audit log or a later
page), and those answers are marked not to be cached.
"""

from __future__ import annotations

import ipaddress
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.generic import FormView, TemplateView, View
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.models import IndexView, InspectView
from wagtail.admin.widgets.button import HeaderButton, ListingButton
from wagtail.log_actions import log
from wagtail.snippets.views import snippets as snippet_views

from newsdesk.accounts.models import User
from newsdesk.stories.models import StoryPage

from .models import Delivery, Format, Partner, PartnerKey
from .services import (
    partner_key_issue,
    partner_key_revoke,
    partner_webhook_secret_renew,
)
from .webhooks import delivery_retry

# The partner viewset's URL namespace (newsdesk.syndication.wagtail_hooks).
PARTNERS = "partners"
DELIVERIES = "partner_deliveries"

# Audit log actions (Wagtail's history of the partner, and Reports -> Site history).
KEY_ISSUED = "newsdesk.partner.key_issue"
KEY_REVOKED = "newsdesk.partner.key_revoke"
# (S105: these name actions in the audit log; they are not secrets.)
SECRET_RENEWED = "newsdesk.partner.secret_renew"  # noqa: S105
SECRET_SHOWN = "newsdesk.partner.secret_show"  # noqa: S105
DELIVERY_RESENT = "newsdesk.partner.delivery_resend"

RECENT_DELIVERIES = 10


def _is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PartnerForm(WagtailAdminModelForm):
    """A partner: what it may take, in which formats, and where to push it."""

    languages = forms.MultipleChoiceField(
        choices=StoryPage.Language.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: stories in any language.",
    )
    formats = forms.MultipleChoiceField(
        choices=Format.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: ninjs 3. The first ticked is what it gets when it "
        "does not ask for one.",
    )
    webhook_url = forms.URLField(
        label="Webhook URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=Partner._meta.get_field("webhook_url").help_text,
    )

    def clean_webhook_url(self) -> str:
        # Copy, and the signatures over it, must not cross the internet in the
        # clear; plain http is only for a receiver on this machine (testing).
        url: str = self.cleaned_data["webhook_url"]
        if not url:
            return url
        parts = urlsplit(url)
        if parts.scheme == "https":
            return url
        if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
            return url
        raise forms.ValidationError(
            "Give an https:// address: stories and their signatures must not "
            "travel unencrypted. Plain http:// is accepted only for this machine "
            "(localhost, 127.0.0.1, ::1), for testing.",
            code="insecure_webhook",
        )

    def clean_requests_per_minute(self) -> int:
        value: int = self.cleaned_data["requests_per_minute"]
        if value < 1:
            raise forms.ValidationError(
                "At least 1. To stop its pulls, untick Active instead.",
                code="min_value",
            )
        return value


def partner_list_for_newsroom() -> QuerySet[Partner]:
    """Return partners with their sections and the number of keys in use."""
    return Partner.objects.annotate(
        keys_in_use=Count("keys", filter=Q(keys__revoked_at__isnull=True))
    ).prefetch_related("sections")


def partner_sections_summary(partner: Partner) -> str:
    """Say in a few words which sections a partner may take."""
    if partner.all_sections:
        return "All sections"
    titles = [section.title for section in partner.sections.all()]
    return ", ".join(titles) if titles else "None (it gets nothing)"


def _keys_url(partner: Partner) -> str:
    return reverse(f"{PARTNERS}:keys", args=[partner.pk])


def _say_what_is_missing(request: HttpRequest, partner: Partner) -> None:
    """After a save: make the webhook secret a new webhook needs, and warn of a
    partner that can take nothing."""
    if partner.webhook_url and not partner.webhook_secret:
        partner_webhook_secret_renew(partner=partner)
        log(
            partner,
            SECRET_RENEWED,
            user=request.user,
            data={"note": "made for its new webhook"},
        )
        messages.info(
            request,
            f"A webhook secret was made for {partner}: give it to the partner "
            "(Keys and webhook) so it can check the signatures.",
        )
    if not partner.all_sections and not partner.sections.exists():
        messages.warning(
            request,
            f"{partner} may take no section yet: it gets nothing until you tick "
            "its sections or “all sections”.",
        )


class PartnerIndexView(snippet_views.IndexView):
    """Partners, each with a button to its keys and webhook."""

    def get_list_more_buttons(self, instance: Partner) -> list[Any]:
        buttons: list[Any] = super().get_list_more_buttons(instance)
        if self.request.user.has_perm("syndication.change_partner"):
            buttons.insert(
                0,
                ListingButton(
                    "Keys and webhook",
                    url=_keys_url(instance),
                    icon_name="key",
                    priority=5,
                ),
            )
        return buttons


class PartnerCreateView(snippet_views.CreateView):
    """Add a partner; a webhook gets its secret on the way."""

    def save_instance(self) -> Partner:
        partner: Partner = super().save_instance()
        _say_what_is_missing(self.request, partner)
        return partner


class PartnerEditView(snippet_views.EditView):
    """Change a partner; its keys and webhook secret are one button away."""

    def save_instance(self) -> Partner:
        partner: Partner = super().save_instance()
        _say_what_is_missing(self.request, partner)
        return partner

    @cached_property
    def header_buttons(self) -> list[Any]:
        return [
            HeaderButton(
                "Keys and webhook", url=_keys_url(self.object), icon_name="key"
            )
        ]


class KeyIssueForm(forms.Form):
    label = forms.CharField(
        max_length=100,
        required=False,
        label="What is the key for?",
        help_text="E.g. “web desk” or “mobile app”, so you know which to revoke.",
    )


class PartnerAdminMixin(PermissionRequiredMixin, WagtailAdminTemplateMixin):
    """A page about one partner's access, for those who may change partners."""

    permission_required = "syndication.change_partner"
    header_icon = "key"
    kwargs: dict[str, Any]
    request: HttpRequest

    @cached_property
    def partner(self) -> Partner:
        # Loaded after the permission check, so strangers learn nothing by its id.
        return get_object_or_404(Partner, pk=self.kwargs["pk"])

    @property
    def user(self) -> User:
        return self.request.user  # type: ignore[return-value]  # signed in to the admin

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            {"url": reverse("wagtailadmin_home"), "label": "Home"},
            {"url": reverse(f"{PARTNERS}:list"), "label": "Partners"},
            {
                "url": reverse(f"{PARTNERS}:edit", args=[self.partner.pk]),
                "label": str(self.partner),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_page_title(self) -> str:
        return "Keys and webhook"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["partner"] = self.partner
        context["keys_url"] = _keys_url(self.partner)
        return context

    def render_secret(self, template: str, **context: Any) -> TemplateResponse:
        """Answer with a page holding a secret, marked never to be cached."""
        response = TemplateResponse(
            self.request, template, self.get_context_data(**context)
        )
        add_never_cache_headers(response)
        return response


class PartnerKeysView(PartnerAdminMixin, FormView):  # type: ignore[type-arg]
    """A partner's keys, webhook and recent deliveries; POST issues a new key,
    shown on the page that answers, and only there."""

    template_name = "syndication/partner_keys.html"
    form_class = KeyIssueForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["keys"] = self.partner.keys.select_related("created_by")
        context["deliveries"] = delivery_list_for_newsroom().filter(
            partner=self.partner
        )[:RECENT_DELIVERIES]
        context["delivery_log_url"] = (
            reverse(f"{DELIVERIES}:index") + f"?partner={self.partner.pk}"
        )
        return context

    def form_valid(self, form: KeyIssueForm) -> HttpResponse:
        label = form.cleaned_data["label"].strip()
        key, raw = partner_key_issue(partner=self.partner, by=self.user, label=label)
        log(
            self.partner,
            KEY_ISSUED,
            user=self.user,
            data={"prefix": key.prefix, "label": key.label},
        )
        return self.render_secret(
            "syndication/partner_key_issued.html", key=key, raw_key=raw
        )


class PartnerKeyRevokeView(PartnerAdminMixin, TemplateView):
    """Confirm, then stop one of a partner's keys working."""

    template_name = "syndication/partner_key_revoke.html"

    def get_page_title(self) -> str:
        return "Revoke a key"

    @cached_property
    def key(self) -> PartnerKey:
        return get_object_or_404(
            PartnerKey, pk=self.kwargs["key_pk"], partner=self.partner
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(key=self.key, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.key.revoked_at is not None:
            messages.info(request, f"Key {self.key.prefix}… was already revoked.")
            return redirect(_keys_url(self.partner))
        partner_key_revoke(key=self.key)
        log(
            self.partner,
            KEY_REVOKED,
            user=self.user,
            data={"prefix": self.key.prefix, "label": self.key.label},
        )
        messages.success(
            request, f"Key {self.key.prefix}… is revoked: it no longer works."
        )
        return redirect(_keys_url(self.partner))


class PartnerWebhookSecretView(PartnerAdminMixin, TemplateView):
    """Show a partner's webhook secret, asked for with a POST (and logged)."""

    template_name = "syndication/partner_webhook_secret.html"

    def get_page_title(self) -> str:
        return "Webhook secret"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The secret is shown only on a POST: never in a link, history or prefetch.
        return redirect(_keys_url(self.partner))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.partner.webhook_secret:
            messages.error(request, f"{self.partner} has no webhook secret yet.")
            return redirect(_keys_url(self.partner))
        log(self.partner, SECRET_SHOWN, user=self.user)
        return self.render_secret(
            self.template_name, secret=self.partner.webhook_secret, renewed=False
        )


class PartnerWebhookSecretRenewView(PartnerAdminMixin, TemplateView):
    """Confirm, then give a partner a new webhook secret and show it."""

    template_name = "syndication/partner_webhook_secret_renew.html"

    def get_page_title(self) -> str:
        return "Make a new webhook secret"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        secret = partner_webhook_secret_renew(partner=self.partner)
        log(self.partner, SECRET_RENEWED, user=self.user)
        return self.render_secret(
            "syndication/partner_webhook_secret.html", secret=secret, renewed=True
        )


def delivery_list_for_newsroom() -> QuerySet[Delivery]:
    """Return webhook deliveries, newest first, with their partner and headline
    (without loading each change's whole item)."""
    return (
        Delivery.objects.select_related("partner", "change")
        .defer("change__item")
        .annotate(headline=KeyTextTransform("headline", "change__item"))
        .order_by("-created_at", "-id")
    )


def _change_label(delivery: Delivery) -> str:
    change = delivery.change
    return f"{change.get_change_display()} (version {change.version})"


def _last_answer(delivery: Delivery) -> str:
    parts = [str(delivery.last_status or ""), delivery.last_error[:200]]
    return " ".join(part for part in parts if part)


class DeliveryIndexView(IndexView):
    """The webhook delivery log, read only, filtered by partner and state."""

    page_title = "Partner deliveries"

    def get_base_queryset(self) -> QuerySet[Delivery]:
        return delivery_list_for_newsroom()

    @cached_property
    def columns(self) -> list[Any]:
        return [
            TitleColumn(
                "headline",
                label="Story",
                accessor=lambda d: d.headline or str(d.change),
                get_url=lambda d: reverse(f"{DELIVERIES}:inspect", args=[d.pk]),
            ),
            Column("partner", label="Partner", sort_key="partner__name"),
            Column("change", label="Change", accessor=_change_label),
            Column("state", label="State", accessor="get_state_display"),
            Column("attempts", label="Attempts", sort_key="attempts"),
            Column("last_answer", label="Last status / error", accessor=_last_answer),
            DateColumn("delivered_at", label="Delivered", sort_key="delivered_at"),
            DateColumn(
                "next_attempt_at", label="Next attempt", sort_key="next_attempt_at"
            ),
        ]


class DeliveryInspectView(InspectView):
    """One delivery's tries; one the worker gave up on can be sent again."""

    template_name = "syndication/delivery_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        delivery: Delivery = self.object
        context["can_send_again"] = (
            delivery.state == Delivery.State.FAILED
            and self.request.user.has_perm("syndication.change_partner")
        )
        context["send_again_url"] = reverse(f"{DELIVERIES}:retry", args=[delivery.pk])
        return context


class DeliveryRetryView(PermissionRequiredMixin, View):
    """Send a given-up delivery again (once the partner has fixed its end): the
    worker tries it at its next run, with a fresh count of tries."""

    permission_required = "syndication.change_partner"
    http_method_names = ["post"]  # noqa: RUF012  # Django's own attribute

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        delivery = get_object_or_404(Delivery.objects.select_related("partner"), pk=pk)
        if delivery.state != Delivery.State.FAILED:
            messages.error(
                request,
                "Only a delivery the worker gave up on can be sent again; this one "
                f"is “{delivery.get_state_display()}”.",
            )
        else:
            delivery_retry(delivery=delivery)
            log(
                delivery.partner,
                DELIVERY_RESENT,
                user=request.user,
                data={"delivery": delivery.pk, "change": delivery.change_id},
            )
            messages.success(
                request,
                f"It will be sent to {delivery.partner} again at the worker's next "
                "run, with a fresh count of tries.",
            )
        return redirect(f"{DELIVERIES}:inspect", pk)
