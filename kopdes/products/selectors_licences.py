"""Reads of the licences area: required and missing licences, licences soon due, regional local
time, featured products, targets and the featured boards."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from kopdes.accounts.choices import OFFICER_ROLES
from kopdes.accounts.models import RoleAssignment
from kopdes.accounts.scopes import org_ids, region_q
from kopdes.core.errors import NotFound
from kopdes.core.policies import require
from kopdes.regions.models import Region

from .choices import LicenceStatus, LicenceType
from .models import FeaturedProduct, Licence, LicenceRequirement, Product, ProvinceTarget

DEFAULT_TARGET = 2
REMINDER_DAYS = (60, 14)

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")
_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}


def region_zone(code: str) -> ZoneInfo:
    """The local time of a region: WIB (Sumatra, Java, West and Central Kalimantan), WITA or WIT."""
    province = code[:2]
    if province in _WIT_PROVINCES:
        return WIT
    if province in _WITA_PROVINCES:
        return WITA
    return WIB


def local_today(code: str, at: dt.datetime | None = None) -> dt.date:
    return (at or timezone.now()).astimezone(region_zone(code)).date()


def local_month(code: str, at: dt.datetime | None = None) -> dt.date:
    """The first day of the region's local month at `at` (now by default)."""
    return local_today(code, at).replace(day=1)


# --- Licences ----------------------------------------------------------------------------------


def is_valid(licence: Licence, on_date: dt.date) -> bool:
    """Issued and not past its expiry date (an issued licence whose date has passed is expired)."""
    return licence.status == LicenceStatus.ISSUED and (
        licence.expires_on is None or licence.expires_on >= on_date
    )


def effective_status(licence: Licence, on_date: dt.date) -> str:
    if licence.status == LicenceStatus.ISSUED and not is_valid(licence, on_date):
        return LicenceStatus.EXPIRED
    return licence.status


def required_licences(*, category: str, on_date: dt.date) -> list[list[str]]:
    """The groups of licences a category needs on `on_date`: one of each group."""
    groups: dict[int, list[str]] = defaultdict(list)
    for row in LicenceRequirement.objects.filter(category=category).order_by("group", "licence_type"):
        if row.required_from is None or row.required_from <= on_date:
            groups[row.group].append(row.licence_type)
    return [groups[g] for g in sorted(groups)]


def missing_licences(
    product: Product, on_date: dt.date, licences: list[Licence] | None = None
) -> list[list[str]]:
    """The required groups of which the product holds no issued, unexpired licence."""
    if licences is None:
        licences = list(product.licences.all())
    valid = {lic.licence_type for lic in licences if is_valid(lic, on_date)}
    return [
        group
        for group in required_licences(category=product.category, on_date=on_date)
        if not valid.intersection(group)
    ]


def describe_groups(groups: list[list[str]]) -> list[str]:
    """["SPP-IRT or BPOM MD", "Halal certificate"] for messages."""
    from django.utils.translation import gettext as _

    labels = dict(LicenceType.choices)
    return [(" " + _("or") + " ").join(str(labels.get(t, t)) for t in group) for group in groups]


def licence_list(*, user, product: Product) -> list[Licence]:
    require(user, "products.licences.view", product)
    return list(product.licences.all())


def product_for_licences(*, user, pk: int, action: str = "products.licences.view") -> Product:
    product = Product.objects.select_related("producer", "cooperative").filter(pk=pk).first()
    if product is None:
        raise NotFound(code="product_not_found")
    require(user, action, product)
    return product


def licence_get(*, user, pk: int) -> Licence:
    licence = (
        Licence.objects.select_related("product__producer", "product__cooperative").filter(pk=pk).first()
    )
    if licence is None:
        raise NotFound(code="licence_not_found")
    require(user, "products.licences.view", licence.product)
    return licence


def licence_overview(*, user, product: Product, on_date: dt.date) -> dict:
    """Every licence type with the product's licence (or None), what is required and missing."""
    licences = licence_list(user=user, product=product)
    by_type = {lic.licence_type: lic for lic in licences}
    required = required_licences(category=product.category, on_date=on_date)
    needed = {t for group in required for t in group}
    rows = [
        {
            "type": value,
            "label": label,
            "licence": by_type.get(value),
            "status": effective_status(by_type[value], on_date) if value in by_type else "",
            "required": value in needed,
        }
        for value, label in LicenceType.choices
    ]
    return {
        "rows": rows,
        "required": required,
        "missing": missing_licences(product, on_date, licences),
    }


def reminder_bucket(expires_on: dt.date, on_date: dt.date) -> int | None:
    """0 when expired, 14 or 60 when within that many days, None when further off."""
    days = (expires_on - on_date).days
    if days < 0:
        return 0
    for threshold in sorted(REMINDER_DAYS):
        if days <= threshold:
            return threshold
    return None


def licences_due(*, on_date: dt.date, user=None, days: int = max(REMINDER_DAYS)) -> QuerySet[Licence]:
    """Issued or expired licences with an expiry date at most `days` ahead, for `user`'s scope
    (all of them when `user` is None: the reminders job)."""
    rows = Licence.objects.filter(
        status__in=[LicenceStatus.ISSUED, LicenceStatus.EXPIRED],
        expires_on__isnull=False,
        expires_on__lte=on_date + dt.timedelta(days=days),
    ).select_related("product__cooperative__organization", "product__producer")
    if user is not None:
        require(user, "products.licences.due")
        rows = rows.filter(region_q(user, "product__regency_code") | org_ids_q(user))
    return rows.order_by("expires_on", "id")


def org_ids_q(user):
    from django.db.models import Q

    ids = org_ids(user, *OFFICER_ROLES)
    return Q(product__cooperative__organization_id__in=ids) if ids else Q(pk__in=[])


def officers_of(organization_ids: list[int]) -> dict[int, list]:
    """The current officers (users) of each cooperative organisation, one query."""
    found: dict[int, list] = defaultdict(list)
    rows = RoleAssignment.objects.filter(
        organization_id__in=organization_ids, role__in=OFFICER_ROLES, revoked_at__isnull=True
    ).select_related("user")
    seen: set[tuple[int, int]] = set()
    for row in rows.order_by("organization_id", "user_id"):
        if row.organization_id is None or (row.organization_id, row.user_id) in seen:
            continue
        if not row.user.is_active:
            continue
        seen.add((row.organization_id, row.user_id))
        found[row.organization_id].append(row.user)
    return found


# --- Featured products, targets and boards ------------------------------------------------------


def target_for(province_code: str) -> int:
    row = ProvinceTarget.objects.filter(province_id=province_code).first()
    return row.per_regency_per_month if row else DEFAULT_TARGET


def region_get(code: str, level: int) -> Region:
    region = Region.objects.filter(code=code, level=level).first()
    if region is None:
        raise NotFound(code="region_not_found")
    return region


def featured_list(*, user, regency: Region, month: dt.date | None = None) -> QuerySet[FeaturedProduct]:
    require(user, "products.boards.view", regency)
    rows = FeaturedProduct.objects.filter(regency=regency).select_related("product")
    if month is not None:
        rows = rows.filter(month=month)
    return rows.order_by("-month", "product__name")


@dataclass
class Cell:
    month: dt.date
    target: int
    achieved: int = 0
    overdue: bool = False
    products: list = field(default_factory=list)


@dataclass
class BoardRow:
    regency: Region
    cells: list[Cell]
    url: str = ""

    @property
    def achieved(self) -> int:
        return sum(c.achieved for c in self.cells)

    @property
    def overdue(self) -> int:
        return sum(1 for c in self.cells if c.overdue)


def _months(year: int) -> list[dt.date]:
    return [dt.date(year, m, 1) for m in range(1, 13)]


def board(
    *, user, region: Region, year: int, with_products: bool = False, at: dt.datetime | None = None
) -> dict:
    """Targets and featured products per regency and month of `year`: a province (every regency)
    or one regency. Three or four queries whatever the number of products."""
    require(user, "products.boards.view", region)
    province_code = region.code[:2]
    if region.level == 1:
        regencies = list(Region.objects.filter(parent_id=region.code, level=2).order_by("code"))
        featured = FeaturedProduct.objects.filter(regency__code__startswith=region.code + ".")
    else:
        regencies = [region]
        featured = FeaturedProduct.objects.filter(regency_id=region.code)
    target = target_for(province_code)
    months = _months(year)
    featured = featured.filter(month__gte=months[0], month__lte=months[-1])
    counts = {
        (row["regency_id"], row["month"]): row["n"]
        for row in featured.order_by().values("regency_id", "month").annotate(n=Count("id"))
    }
    products: dict[tuple[str, dt.date], list] = defaultdict(list)
    if with_products:
        for row in featured.order_by("month", "product__name").values(
            "regency_id", "month", "product__name", "product__slug", "product__stars"
        ):
            products[(row["regency_id"], row["month"])].append(row)
    current = local_month(province_code, at)
    rows = []
    for regency in regencies:
        cells = []
        for month in months:
            achieved = counts.get((regency.code, month), 0)
            cells.append(
                Cell(
                    month=month,
                    target=target,
                    achieved=achieved,
                    overdue=month < current and achieved < target,
                    products=products.get((regency.code, month), []),
                )
            )
        url = reverse("products:board_regency", args=[regency.code]) + f"?year={year}"
        rows.append(BoardRow(regency=regency, cells=cells, url=url))
    return {
        "region": region,
        "year": year,
        "months": months,
        "target": target,
        "rows": rows,
        "current_month": current,
        "achieved": sum(r.achieved for r in rows),
        "overdue": sum(r.overdue for r in rows),
    }
