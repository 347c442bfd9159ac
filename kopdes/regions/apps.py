from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "kopdes.regions"
    label = "regions"
    verbose_name = "Regions"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kopdes.core.nav import NavItem, register

        from . import policies  # noqa: F401  (registers the rules)

        register(NavItem(_("Regions"), "regions:index", lambda user: True, order=10))
