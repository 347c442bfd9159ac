"""Policy rules of the licences area (registered on import by ProductsConfig.ready)."""

from kopdes.core.policies import rule  # noqa: F401
