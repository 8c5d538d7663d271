"""People in the newsroom: the names bylines use, with their bio and portrait."""

from __future__ import annotations

from typing import ClassVar

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Person


class PersonViewSet(SnippetViewSet):
    """People: staff, contributors and organisations bylines can name."""

    model = Person
    icon = "user"
    menu_label = "People"
    menu_order = 160
    add_to_admin_menu = True
    list_display: ClassVar[list[str]] = ["name", "kind", "slug"]
    list_filter: ClassVar[list[str]] = ["kind"]
    search_fields: ClassVar[list[str]] = ["name"]


register_snippet(PersonViewSet)
