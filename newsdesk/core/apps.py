from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "newsdesk.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # A fresh checkout has no var/ yet; SQLite cannot create its file's folder.
        database = settings.DATABASES["default"]
        if (
            database["ENGINE"].endswith("sqlite3")
            and str(database["NAME"]) != ":memory:"
        ):
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
