"""Policy rules of the catalog area (registered on import by ProductsConfig.ready)."""

from kopdes.core.policies import rule  # noqa: F401
