"""What every web worker would otherwise load on its first requests, loaded once before it forks.

gunicorn loads the application in its master and forks the workers from it (`preload_app`), so
what the master has loaded, each worker has from its start, shared until written. Django loads
much of it lazily: the URLconf (and with it every view, form and export library it imports) on
the first request, every URL pattern compiled for `reverse()` on the first link made, each
template on its first rendering, the search's stemmer on the first search. Each worker paid that
on its first requests: a fresh worker's first checkout cost 24 ms of CPU instead of 2.5 (half
of it `reverse()` compiling 250 patterns), its first search loaded Sastrawi's dictionary. After
a deploy or a worker's recycling those first requests are slow; in a sale that starts on fresh
workers, they are the sale (ADR 14).

Nothing here opens a connection: a socket made before the fork would be shared by every worker.
"""

from __future__ import annotations

import gc
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver
from django.utils import translation


def warm_up() -> None:
    """Load the URLconf with its patterns compiled in every language, the project's templates
    (kept compiled by the cached loader, outside DEBUG), and what the hot paths import late."""
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018  (populated per language on first use)
    if not settings.DEBUG:  # (with DEBUG templates are read again for every rendering)
        ours = Path(settings.BASE_DIR).resolve()
        engine = engines["django"]
        directories = [Path(str(d)) for d in (*engine.template_dirs, *get_app_template_dirs("templates"))]
        for directory in (d for d in directories if d.resolve().is_relative_to(ours)):
            for path in sorted(directory.rglob("*.html")):
                engine.get_template(path.relative_to(directory).as_posix())
    from kopdes.market import notifications, search  # noqa: F401  (imported late by the checkout)
    from kopdes.monitoring import tasks  # noqa: F401  (the fold's task, queued after a sale)

    search._stemmer()  # Sastrawi's dictionary
    # What is loaded now lives as long as the workers: out of the collector's sight, a worker's
    # collection does not touch (and so copy) the pages it shares with the master.
    gc.collect()
    gc.freeze()
