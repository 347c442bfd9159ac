"""Test data for display points: an operator organisation and its operator, a point opened by the
regency's admin, a listing consigned to it. (No tests here; the other test_display_* import it.)"""

from __future__ import annotations

import itertools
import uuid

from kopdes.accounts.choices import OrgKind, Role
from kopdes.accounts.models import Organization
from kopdes.accounts.tests.factories import person
from kopdes.market.choices import DisplayKind
from kopdes.market.models import DisplayPoint, Listing
from kopdes.market.services_display import consign, display_point_create
from kopdes.regions.models import Region

from .factories import JAHAB, make_listing, officer, outlet

KUKAR = "64.02"
SIKKA = "53.07"
_counter = itertools.count(1)


def operator_org(region: str = KUKAR, name: str = "") -> Organization:
    return Organization.objects.create(
        kind=OrgKind.DISPLAY, name=name or f"Galeri Uji {next(_counter)}", region_id=region
    )


def operator_of(org: Organization):
    return person(Role.DISPLAY_OPERATOR, org=org)


def admin_of(scope: str = KUKAR):
    role = Role.ADMIN_REGENCY if scope.count(".") == 1 else Role.ADMIN_PROVINCE
    return person(role, scope=scope)


def make_point(
    *, region: str = JAHAB, org: Organization | None = None, commission: int = 10, name: str = ""
) -> DisplayPoint:
    """A display point opened through the service by an admin of its regency."""
    return display_point_create(
        actor=admin_of(region[:5]),
        operator_org=org or operator_org(region[:5]),
        name=name or f"Titik Pajang Uji {next(_counter)}",
        kind=DisplayKind.AIRPORT,
        region=Region.objects.get(code=region),
        address="Terminal kedatangan",
        commission_percent=commission,
    )


def on_shelf(
    point: DisplayPoint, *, quantity: int = 5, price: int = 25_000, listing: Listing | None = None, **kw
):
    """A listing of the Jahab cooperative (or `listing`) with `quantity` consigned to the point."""
    listing = listing or make_listing(price=price, stock=quantity + kw.pop("extra", 5), **kw)
    ketua = officer(listing.cooperative)
    consign(
        actor=ketua,
        display_point=point,
        listing=listing,
        from_location=outlet(listing.cooperative),
        quantity=quantity,
    )
    listing.refresh_from_db()
    return listing


def key() -> str:
    return uuid.uuid4().hex
