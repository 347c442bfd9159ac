from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "kopdes.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kopdes.core.nav import NavItem, register

        # The dashboard's policy rules; the subscribers tie the rollups to the domain events.
        from . import policies, policies_reports, subscribers  # noqa: F401

        register(NavItem(_("Coverage"), "monitoring:coverage", lambda user: True, order=30))
        # Public like coverage; /dasbor/saya/ takes an admin to their own region's dashboard.
        register(NavItem(_("Dashboard"), "monitoring:dashboard_mine", lambda user: True, order=31))
        register(NavItem(_("Map"), "monitoring:map", lambda user: True, order=32))

        from kopdes.accounts.scopes import admin_prefixes

        register(
            NavItem(_("Reports"), "monitoring:reports", lambda user: bool(admin_prefixes(user)), order=33)
        )

        from kopdes.core.panels import Panel
        from kopdes.core.panels import register as register_panel

        from .selectors import admin_gaps

        def gaps_panel(user) -> dict | None:
            # Regency and province admins see the villages of their region still without one.
            gaps = admin_gaps(user=user)
            return {"gaps": gaps} if gaps else None

        register_panel(Panel("monitoring/_home_panel.html", gaps_panel, order=10))

        from .selectors_dashboard import dashboard_home_code

        def dashboard_panel(user) -> dict | None:
            # Admins (and village heads, mentors) land on their own region's dashboard from home.
            code = dashboard_home_code(user)
            return None if code is None else {"code": code}

        register_panel(Panel("monitoring/dashboard/_home_panel.html", dashboard_panel, order=9))
