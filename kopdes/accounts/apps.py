from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kopdes.accounts"
    label = "accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kopdes.core.nav import NavItem, register

        from . import policies, signals  # noqa: F401  (registers rules and signal receivers)
        from .scopes import admin_prefixes

        def is_admin(user) -> bool:
            return bool(admin_prefixes(user))

        from kopdes.core import demo

        from .demo import demo_world_load

        def load() -> tuple[str, list[tuple[str, str, str]]]:
            result = demo_world_load()
            summary = (
                f"{result.users} users, {result.roles} roles, {result.organizations} organisations created"
            )
            return summary, result.logins

        demo.register(10, "people", load)
        register(NavItem(_("Users"), "accounts:users", is_admin, order=60))
        register(NavItem(_("Organisations"), "accounts:organizations", is_admin, order=61))
        register(NavItem(_("Audit trail"), "accounts:audit", is_admin, order=62))
