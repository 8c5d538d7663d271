from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "newsdesk.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
