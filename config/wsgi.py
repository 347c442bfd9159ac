import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from kopdes.core.warmup import warm_up  # noqa: E402  (Django is set up by now)

warm_up()  # in gunicorn's master (preload_app): every worker forked from it starts warm
