"""Demo data of display points: an operator organisation and its operator at APT Pranoto airport
(Samarinda), a display point there, goods consigned by the demo cooperative, a few sales last
month with their settlement prepared (a draft, for the operator to settle), and one sale today.

Built through the services. Idempotent: a second run finds everything in place.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import make_password
from django.db import transaction
from lokal import parse_phone

from kopdes.accounts.choices import OrgKind, Role
from kopdes.accounts.demo import DEMO_PASSWORD
from kopdes.accounts.models import Organization, RoleAssignment, User
from kopdes.accounts.services import organization_create, role_grant
from kopdes.cooperatives.models import Cooperative
from kopdes.cooperatives.policies import MANAGING
from kopdes.core.audit import audit_record
from kopdes.core.errors import DomainError
from kopdes.products.selectors_licences import region_zone
from kopdes.regions.models import Region

from . import services_display as services
from .choices import ONLINE_KINDS, DisplayKind
from .models import Consignment, DisplayPoint, DisplaySale, StockLevel, StockMovement

OPERATOR_NAME = "Galeri Produk Desa Bandara APT Pranoto"
OPERATOR_PHONE = "+6281500000009"
OPERATOR_PERSON = "Operator Galeri Bandara"
SAMARINDA = "64.72"
AIRPORT_VILLAGE = "64.72.05.1004"  # Sungai Siring, Samarinda Utara: the airport's kelurahan
PROVINCE_ADMIN = "+6281100000064"  # Kalimantan Timur
DEMO_COOPERATIVE = "6402162001"
# Last month's sales: (day, hour, [(listing index, quantity)], payment method).
LAST_MONTH = [
    (4, 10, [(0, 2)], "cash"),
    (11, 15, [(0, 1), (1, 1)], "qris"),
    (19, 8, [(1, 2)], "qris"),
    (27, 17, [(0, 3)], "cash"),
]


def _operator(region: Region) -> tuple[Organization, User]:
    org = Organization.objects.filter(kind=OrgKind.DISPLAY, name=OPERATOR_NAME, region=region).first()
    if org is None:
        org = organization_create(actor=None, kind=OrgKind.DISPLAY, name=OPERATOR_NAME, region=region)
    user = User.objects.filter(phone=OPERATOR_PHONE).first()
    if user is None:
        user = User.objects.create(
            phone=OPERATOR_PHONE,
            full_name=OPERATOR_PERSON,
            region=region,
            password=make_password(DEMO_PASSWORD),
        )
        audit_record(actor=None, action="accounts.user.create", obj=user, changes={"demo": True})
    if not RoleAssignment.objects.filter(
        user=user, role=Role.DISPLAY_OPERATOR, organization=org, revoked_at__isnull=True
    ).exists():
        role_grant(actor=None, user=user, role=Role.DISPLAY_OPERATOR, organization=org)
        user.forget_roles()
    return org, user


def _officer(cooperative: Cooperative) -> User | None:
    assignment = (
        RoleAssignment.objects.filter(
            organization=cooperative.organization, role__in=MANAGING, revoked_at__isnull=True
        )
        .select_related("user")
        .order_by("role", "id")
        .first()
    )
    return assignment.user if assignment else None


def _consign(point: DisplayPoint, cooperative: Cooperative) -> list:
    """Up to three of the cooperative's listings on the shelf (once each); [] when it has none."""
    officer = _officer(cooperative)
    if officer is None:
        return []
    listings = list(cooperative.listings.filter(is_active=True).order_by("id")[:3])
    consigned = []
    for listing in listings:
        if Consignment.objects.filter(display_point=point, listing=listing).exists():
            consigned.append(listing)
            continue
        level = (
            StockLevel.objects.filter(listing=listing, location__kind__in=ONLINE_KINDS, quantity__gt=0)
            .select_related("location")
            .order_by("-quantity", "location_id")
            .first()
        )
        if level is None:
            continue
        services.consign(
            actor=officer,
            display_point=point,
            listing=listing,
            from_location=level.location,
            quantity=min(12, max(level.quantity // 2, 1)),
            note="Titipan demo",
        )
        consigned.append(listing)
    return consigned


def _sales(point: DisplayPoint, operator: User, listings: list) -> int:
    """Last month's few sales (back-dated, demo only) and one today; a retry returns the same."""
    made = 0
    this_month = services.point_month(point)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    zone = region_zone(point.region_id)
    plan = [(last_month, day, hour, lines, method) for day, hour, lines, method in LAST_MONTH]
    for number, (month, day, hour, lines, method) in enumerate(plan, start=1):
        key = f"demo-display-{month:%Y%m}-{number}"
        wanted = [(listings[i].pk, quantity) for i, quantity in lines if i < len(listings)]
        if not wanted or DisplaySale.objects.filter(idempotency_key=key).exists():
            continue
        try:
            sale = services.display_sale_record(
                actor=operator, display_point=point, lines=wanted, payment_method=method, idempotency_key=key
            )
        except DomainError:
            continue  # the shelf ran short: fewer demo sales
        when = dt.datetime(month.year, month.month, day, hour, 0, tzinfo=zone)
        DisplaySale.objects.filter(pk=sale.pk).update(sold_at=when)
        StockMovement.objects.filter(display_sale=sale).update(created_at=when)
        made += 1
    today_key = f"demo-display-{services.point_month(point):%Y%m}-today"
    if listings and not DisplaySale.objects.filter(idempotency_key=today_key).exists():
        try:
            services.display_sale_record(
                actor=operator,
                display_point=point,
                lines=[(listings[0].pk, 1)],
                payment_method="cash",
                idempotency_key=today_key,
            )
            made += 1
        except DomainError:
            pass
    return made


@transaction.atomic
def demo_display_load() -> tuple[str, list[tuple[str, str, str]]]:
    region = Region.objects.filter(code=AIRPORT_VILLAGE).first()
    samarinda = Region.objects.filter(code=SAMARINDA).first()
    admin = User.objects.filter(phone=PROVINCE_ADMIN).first()
    if region is None or samarinda is None or admin is None:
        return "skipped (load the regions and the people demo first)", []
    org, operator = _operator(samarinda)
    login = (
        f"Display point operator ({OPERATOR_NAME})",
        parse_phone(OPERATOR_PHONE).national or OPERATOR_PHONE,
        DEMO_PASSWORD,
    )
    point = DisplayPoint.objects.filter(operator=org).order_by("id").first()
    created = 0
    if point is None:
        point = services.display_point_create(
            actor=admin,
            operator_org=org,
            name="Galeri Produk Desa — Bandara APT Pranoto",
            kind=DisplayKind.AIRPORT,
            region=region,
            address="Terminal keberangkatan, Bandara APT Pranoto, Sungai Siring, Samarinda Utara",
            latitude="-0.374800",
            longitude="117.255800",
            commission_percent=15,
        )
        created = 1
    cooperative = Cooperative.objects.filter(slug=DEMO_COOPERATIVE).first()
    listings = _consign(point, cooperative) if cooperative is not None else []
    if not listings:
        return f"{created} display points created (no demo listings to consign yet)", [login]
    sales = _sales(point, operator, listings)
    last_month = (services.point_month(point) - dt.timedelta(days=1)).replace(day=1)
    services.display_settlement_prepare(actor=operator, display_point=point, month=last_month)
    return (
        f"{created} display points created, {len(listings)} products on its shelf, {sales} sales recorded",
        [login],
    )
