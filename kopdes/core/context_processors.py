from functools import lru_cache

from django.templatetags.static import static
from django.urls import reverse

from .nav import items_for


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    # Every page's frame needs these; resolved once per process instead of ~10 tags a request.
    return {
        "home": reverse("core:home"),
        "regions": reverse("regions:index"),
        "login": reverse("accounts:login"),
        "logout": reverse("accounts:logout"),
        "register": reverse("accounts:register"),
        "profile": reverse("accounts:profile"),
        "language_id": reverse("core:language", args=["id"]),
        "language_en": reverse("core:language", args=["en"]),
        "css": static("kopdes/kopdes.css"),
        "icon": static("kopdes/icon.svg"),
        "htmx": static("django_htmx/htmx-2.min.js"),
    }


def shell(request):
    """What every page's frame needs: fixed links and the navigation for this user's roles."""
    user = getattr(request, "user", None)
    return {"nav_items": items_for(user), "links": _links()}
