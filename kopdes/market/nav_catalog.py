"""Navigation entries of this area (registered by MarketConfig.ready)."""


def register() -> None:
    pass
