"""Migration operations of the search app."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState


class RunSQLForVendor(migrations.RunSQL):
    """Run SQL only on one database vendor ("sqlite", "postgresql"); elsewhere nothing.

    Full-text search is the database's own: each vendor gets its own tables, columns
    and indexes from the same migration.
    """

    def __init__(self, vendor: str, *args: Any, **kwargs: Any) -> None:
        self.vendor = vendor
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor, *args], kwargs

    def describe(self) -> str:
        return f"Raw SQL operation for {self.vendor}"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)
