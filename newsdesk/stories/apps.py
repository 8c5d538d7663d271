from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "newsdesk.stories"
    label = "stories"
    verbose_name = "Stories"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
