from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kopdes.core"
    label = "core"
    verbose_name = "Kopdes core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import policies  # noqa: F401  (registers the core rules)
        from .sqlite import register_functions

        connection_created.connect(register_functions, dispatch_uid="kopdes_sqlite_functions")
