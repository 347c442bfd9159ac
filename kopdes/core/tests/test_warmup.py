"""The web application warms up before gunicorn forks its workers (kopdes/core/warmup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Run in a fresh interpreter: what importing the WSGI application leaves loaded and open.
PROBE = """
import gc, json, os, sys
import config.wsgi
from django.template import engines
from django.urls import get_resolver
from django.utils import translation
links = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
         if os.path.exists(f"/proc/self/fd/{fd}")]
sockets = [link for link in links if link.startswith("socket:")]
cached = engines["django"].engine.template_loaders[0].get_template_cache
print(json.dumps({
    "sockets": sockets,
    "modules": sorted(
        m for m in ("config.urls", "Sastrawi", "kopdes.monitoring.tasks", "openpyxl") if m in sys.modules
    ),
    "languages": sorted(get_resolver()._reverse_dict),
    "templates": "market/catalog/catalog.html" in cached,
    "frozen": gc.get_freeze_count() > 0,
}))
"""


def test_the_wsgi_application_loads_what_workers_need_and_opens_no_connection():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0"}  # templates cached
    done = subprocess.run(  # noqa: S603  (this interpreter, the probe above)
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # A socket made before the fork would be shared by every worker (the database's, Redis').
    assert found["sockets"] == []
    assert found["modules"] == ["Sastrawi", "config.urls", "kopdes.monitoring.tasks", "openpyxl"]
    assert found["languages"] == ["en", "id"]
    assert found["templates"] and found["frozen"]
