"""Partners in the newsroom: Settings -> Partners (what each may take, its keys and
webhook secret) and Settings -> Partner deliveries (the webhook delivery log)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import path
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .admin_views import (
    DELIVERIES,
    DELIVERY_RESENT,
    KEY_ISSUED,
    KEY_REVOKED,
    PARTNERS,
    SECRET_RENEWED,
    SECRET_SHOWN,
    DeliveryIndexView,
    DeliveryInspectView,
    DeliveryRetryView,
    PartnerCreateView,
    PartnerEditView,
    PartnerForm,
    PartnerIndexView,
    PartnerKeyRevokeView,
    PartnerKeysView,
    PartnerWebhookSecretRenewView,
    PartnerWebhookSecretView,
    partner_list_for_newsroom,
    partner_sections_summary,
)
from .models import Delivery, Partner


class PartnerViewSet(SnippetViewSet):
    """Partners, under Settings: what each may take and how, its keys and its
    webhook secret."""

    model = Partner
    icon = "globe"
    menu_label = "Partners"
    add_to_settings_menu = True
    url_prefix = "partners"
    url_namespace = PARTNERS
    index_view_class = PartnerIndexView
    add_view_class = PartnerCreateView
    edit_view_class = PartnerEditView
    copy_view_enabled = False
    list_display: ClassVar[list[Any]] = [
        "name",
        BooleanColumn("active", label="Active"),
        Column("sections", label="Sections", accessor=partner_sections_summary),
        BooleanColumn("embargoed_copy", label="Sees embargoed copy"),
        Column("keys_in_use", label="Keys in use", sort_key="keys_in_use"),
    ]
    list_filter: ClassVar[list[str]] = ["active"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("name"),
                    FieldPanel("contact_name"),
                    FieldPanel("contact_email"),
                    FieldPanel("active"),
                ],
                heading="Partner",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("all_sections"),
                    FieldPanel("sections", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("languages"),
                    FieldPanel("embargoed_copy"),
                ],
                heading="What it may take",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("formats"),
                    FieldPanel("webhook_url"),
                    FieldPanel("webhook_format"),
                    FieldPanel("requests_per_minute"),
                ],
                heading="How it gets it",
            ),
        ],
        base_form_class=PartnerForm,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Partner]:
        return partner_list_for_newsroom()

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("keys/<int:pk>/", PartnerKeysView.as_view(), name="keys"),
            path(
                "keys/<int:pk>/revoke/<int:key_pk>/",
                PartnerKeyRevokeView.as_view(),
                name="key_revoke",
            ),
            path(
                "webhook-secret/<int:pk>/",
                PartnerWebhookSecretView.as_view(),
                name="secret",
            ),
            path(
                "webhook-secret/<int:pk>/renew/",
                PartnerWebhookSecretRenewView.as_view(),
                name="secret_renew",
            ),
        ]


register_snippet(PartnerViewSet)


class DeliveryViewSet(ModelViewSet):
    """The webhook delivery log, under Settings: deliveries are made and retried by
    the delivery worker; one it gave up on can be sent again from here."""

    model = Delivery
    icon = "resubmit"
    menu_label = "Partner deliveries"
    add_to_settings_menu = True
    url_prefix = "partner-deliveries"
    url_namespace = DELIVERIES
    index_view_class = DeliveryIndexView
    inspect_view_class = DeliveryInspectView
    copy_view_enabled = False
    inspect_view_enabled = True
    list_filter: ClassVar[list[str]] = ["partner", "state"]
    inspect_view_fields: ClassVar[list[str]] = [
        "partner",
        "change",
        "state",
        "attempts",
        "last_status",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        view_kwargs: dict[str, Any] = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self) -> list[Any]:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
            path("retry/<int:pk>/", DeliveryRetryView.as_view(), name="retry"),
        ]

    def get_permissions_to_register(self) -> QuerySet[Permission]:
        # Only seeing the log is a permission worth granting: nobody writes it.
        return Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(Delivery),
            codename="view_delivery",
        )


@hooks.register("register_admin_viewset")
def register_delivery_log() -> DeliveryViewSet:
    return DeliveryViewSet()


@hooks.register("register_log_actions")
def register_partner_actions(actions: Any) -> None:
    """Name what is done to a partner's access in its history (and Reports -> Site
    history): keys issued and revoked, webhook secrets made and shown. Only a key's
    first characters are logged, never a key or a secret."""

    def key(log_entry: Any) -> str:
        data = log_entry.data or {}
        label = f" ({data['label']})" if data.get("label") else ""
        return f"{data.get('prefix', '')}…{label}"

    @actions.register_action(KEY_ISSUED)
    class KeyIssued(LogFormatter):
        label = "Issue API key"

        def format_message(self, log_entry: Any) -> str:
            return f"API key issued: {key(log_entry)}"

    @actions.register_action(KEY_REVOKED)
    class KeyRevoked(LogFormatter):
        label = "Revoke API key"

        def format_message(self, log_entry: Any) -> str:
            return f"API key revoked: {key(log_entry)}"

    @actions.register_action(SECRET_RENEWED)
    class SecretRenewed(LogFormatter):
        label = "Make webhook secret"

        def format_message(self, log_entry: Any) -> str:
            note = (log_entry.data or {}).get("note", "")
            return (
                f"New webhook secret made ({note})"
                if note
                else ("New webhook secret made")
            )

    @actions.register_action(DELIVERY_RESENT)
    class DeliveryResent(LogFormatter):
        label = "Send a delivery again"

        def format_message(self, log_entry: Any) -> str:
            number = (log_entry.data or {}).get("delivery", "")
            return f"Delivery {number} sent again after the worker gave up"

    @actions.register_action(SECRET_SHOWN)
    class SecretShown(LogFormatter):
        label = "Show webhook secret"

        def format_message(self, log_entry: Any) -> str:
            return "Webhook secret shown"
