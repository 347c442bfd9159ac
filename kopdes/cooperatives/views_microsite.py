"""The public microsite of a cooperative: one light page at /k/<slug>/ and its QR code.

Anyone may read it, without logging in. It shows what a cooperative wants the world to know
(profile, officers by name, units, photos, location, WhatsApp contact) and never its members.
Anonymous visitors get the page from the whole-page cache (ADR 8) for up to five minutes, so an
edit shows there within that time.
"""

from __future__ import annotations

import io

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from lokal import parse_phone

from kopdes.core import sections
from kopdes.core.errors import NotFound
from kopdes.core.policies import require
from kopdes.core.visitor_cache import cache_for_visitors
from kopdes.regions.selectors import region_ancestors

from . import selectors
from .choices import SEVEN_UNITS, Position, Stage, StageStatus, UnitKind, UnitStatus, stage_index
from .models import Cooperative

MICROSITE_ACTION = "cooperatives.microsite.view"
# The page is cached for visitors without knowing when the cooperative changes: keep it short.
PAGE_TIMEOUT = 300
# The QR code only encodes the page's address, which never changes for a slug.
QR_MAX_AGE = 30 * 24 * 3600
MAX_PHOTOS = 12


def _cooperative_or_404(request: HttpRequest, slug: str) -> Cooperative | HttpResponse:
    try:
        cooperative = selectors.cooperative_public(slug=slug)
    except NotFound:
        message = _(
            "No cooperative has this address. Check the link, or find the village in the regions list."
        )
        return render(request, "404.html", {"message": message}, status=404)
    require(request.user, MICROSITE_ACTION, cooperative)
    return cooperative


def _progress(cooperative: Cooperative) -> list[dict]:
    """The seven formation steps, each done, current (recorded, not yet verified) or to come."""
    reached = stage_index(cooperative.stage) if cooperative.stage else -1
    steps = []
    for index, stage in enumerate(Stage):
        if index < reached or (index == reached and cooperative.stage_status == StageStatus.VERIFIED):
            state = "done"
        elif index == reached:
            state = "current"
        else:
            state = "todo"
        steps.append({"number": index + 1, "label": stage.label, "state": state})
    return steps


def _units(cooperative: Cooperative) -> tuple[list[dict], list]:
    """The seven expected units (each with whether one operates) and the other units."""
    units = list(selectors.unit_list(cooperative=cooperative))
    seven = []
    for kind in SEVEN_UNITS:
        of_kind = [u for u in units if u.kind == kind]
        seven.append(
            {
                "label": UnitKind(kind).label,
                "operating": any(u.status == UnitStatus.OPERATING for u in of_kind),
                "units": of_kind,
            }
        )
    others = [u for u in units if u.kind not in SEVEN_UNITS]
    return seven, others


def _officers(cooperative: Cooperative) -> list:
    order = list(Position.values)
    officers = list(selectors.officer_list(cooperative=cooperative))
    return sorted(officers, key=lambda o: (order.index(o.position), o.term_start))


@require_GET
@cache_for_visitors(
    action=MICROSITE_ACTION,
    # Sections from other apps (the market's products for sale) move the key on when they change.
    key=lambda slug: f"microsite:{slug}:{sections.cache_key_for(sections.COOPERATIVE)}",
    timeout=PAGE_TIMEOUT,
)
def microsite(request: HttpRequest, slug: str) -> HttpResponse:
    found = _cooperative_or_404(request, slug)
    if isinstance(found, HttpResponse):
        return found
    cooperative = found
    seven, other_units = _units(cooperative)
    places = [r for r in region_ancestors(region=cooperative.village) if r.code != cooperative.village_id]
    context = {
        "cooperative": cooperative,
        "places": places,
        "steps": _progress(cooperative),
        "officers": _officers(cooperative),
        "seven": seven,
        "seven_operating": sum(1 for s in seven if s["operating"]),
        "other_units": other_units,
        "photos": list(cooperative.photos.all()[:MAX_PHOTOS]),
        "phone_display": parse_phone(cooperative.phone).national if cooperative.phone else "",
        "page_url": request.build_absolute_uri(cooperative.get_public_url()),
        "whatsapp_text": _("Hello, I would like to ask about %(name)s") % {"name": cooperative.name},
        "sections": sections.sections_for(sections.COOPERATIVE, request, cooperative),
    }
    return render(request, "cooperatives/microsite/page.html", context)


@require_GET
def microsite_qr(request: HttpRequest, slug: str) -> HttpResponse:
    """An SVG QR code of the microsite's full address, to print or share."""
    found = _cooperative_or_404(request, slug)
    if isinstance(found, HttpResponse):
        return found
    url = request.build_absolute_uri(found.get_public_url())
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=4, border=2, title=found.name, xmldecl=False, nl=False
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=QR_MAX_AGE)
    return response
