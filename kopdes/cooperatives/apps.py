from django.apps import AppConfig


class CooperativesConfig(AppConfig):
    name = "kopdes.cooperatives"
    label = "cooperatives"
    verbose_name = "Cooperatives"

    def ready(self) -> None:
        from kopdes.core import demo

        from . import policies  # noqa: F401  (registers the rules)
        from .demo import demo_cooperatives_load

        demo.register(20, "cooperatives", demo_cooperatives_load)
