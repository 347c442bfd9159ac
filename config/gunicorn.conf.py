"""gunicorn settings for `make run` and production; every value can be set from the environment."""

import multiprocessing
import os

bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
# Sync workers: 2 per core plus one (a 2-core server runs 5), memory-light and simple.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
preload_app = True  # share the loaded code between workers (copy-on-write)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
max_requests = 50000  # recycle workers now and then, bounding any slow leak
max_requests_jitter = 5000
accesslog = os.environ.get("ACCESS_LOG", "-") or None
# The path without its query string: a search for a member by NIK must not land in a log.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'

errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
