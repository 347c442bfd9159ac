from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "kopdes.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kopdes.core.nav import NavItem, register

        from . import subscribers  # noqa: F401  (subscribes the rollups to the domain events)

        register(NavItem(_("Coverage"), "monitoring:coverage", lambda user: True, order=30))

        from kopdes.core.panels import Panel
        from kopdes.core.panels import register as register_panel

        from .selectors import admin_gaps

        def gaps_panel(user) -> dict | None:
            # Regency and province admins see the villages of their region still without one.
            gaps = admin_gaps(user=user)
            return {"gaps": gaps} if gaps else None

        register_panel(Panel("monitoring/_home_panel.html", gaps_panel, order=10))
