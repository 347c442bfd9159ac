"""Demo data loaders, registered by each app and run in order by `manage.py load_demo`.

Each loader is idempotent and returns (summary line, [(who, login, password), ...]).
"""

from __future__ import annotations

from collections.abc import Callable

Loader = Callable[[], tuple[str, list[tuple[str, str, str]]]]
_loaders: list[tuple[int, str, Loader]] = []


def register(order: int, name: str, loader: Loader) -> None:
    if all(existing != name for _, existing, _ in _loaders):
        _loaders.append((order, name, loader))
        _loaders.sort(key=lambda item: item[0])


def loaders() -> list[tuple[str, Loader]]:
    return [(name, loader) for _, name, loader in _loaders]
