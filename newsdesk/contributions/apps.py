from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "newsdesk.contributions"
    label = "contributions"
    verbose_name = "Contributions"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
