from django.apps import AppConfig


class CooperativesConfig(AppConfig):
    name = "kopdes.cooperatives"
    label = "cooperatives"
    verbose_name = "Cooperatives"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kopdes.accounts.choices import Role
        from kopdes.accounts.scopes import has_role, org_ids
        from kopdes.core import demo
        from kopdes.core.nav import NavItem, register
        from kopdes.core.policies import can

        from . import policies
        from .demo import demo_cooperatives_load

        demo.register(20, "cooperatives", demo_cooperatives_load)

        def may_list(user) -> bool:
            return can(user, "cooperatives.list")

        def is_member(user) -> bool:
            return has_role(user, Role.MEMBER)

        register(NavItem(_("Cooperatives"), "cooperatives:list", may_list, order=20))
        register(NavItem(_("My memberships"), "cooperatives:my_memberships", is_member, order=21))

        def may_import(user) -> bool:
            return can(user, "cooperatives.create", None) or bool(org_ids(user, *policies.MANAGING))

        register(NavItem(_("Imports"), "cooperatives:import_list", may_import, order=22))
