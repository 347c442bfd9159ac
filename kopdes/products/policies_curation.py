"""Policy rules of the curation area (registered on import by ProductsConfig.ready)."""

from kopdes.core.policies import rule  # noqa: F401
