from django.apps import AppConfig


class CooperativesConfig(AppConfig):
    name = "kopdes.cooperatives"
    label = "cooperatives"
    verbose_name = "Cooperatives"

    def ready(self) -> None:
        from . import policies  # noqa: F401  (registers the rules)
