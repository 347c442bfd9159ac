"""Reads of the catalog: only what the asking user may see, in few queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from kopdes.accounts.choices import Role
from kopdes.accounts.scopes import org_ids, region_q
from kopdes.cooperatives.models import Cooperative
from kopdes.cooperatives.policies import MANAGING
from kopdes.core.errors import NotFound
from kopdes.core.policies import can, require
from kopdes.regions.codes import normalize_code
from kopdes.regions.models import Region

from .choices import Sector
from .models import Potential, Producer, Product, ProductPhoto, ProductVersion
from .policies_catalog import HIDDEN_STATUSES

# --- Potential --------------------------------------------------------------------------------


def region_get(*, code: str, level: int) -> Region:
    region = Region.objects.filter(code=normalize_code(code or ""), level=level).first()
    if region is None:
        raise NotFound(_("No such region."), code="unknown_region")
    return region


def potential_list(*, user, village: Region) -> QuerySet[Potential]:
    require(user, "products.potential.view", village)
    return (
        Potential.objects.filter(village=village)
        .select_related("surveyed_by")
        .prefetch_related("photos")
        .order_by("sector", "commodity_key")
    )


def potential_get(*, user, pk: int) -> Potential:
    potential = Potential.objects.select_related("village").filter(pk=pk).first()
    if potential is None:
        raise NotFound(_("No such potential."), code="unknown_potential")
    require(user, "products.potential.view", potential.village)
    return potential


@dataclass
class Cluster:
    commodity: str
    key: str
    villages: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RegencyPotential:
    rows: list[dict]
    by_sector: list[tuple[str, list[dict]]]
    clusters: list[Cluster]


def regency_potential(*, user, regency: Region) -> RegencyPotential:
    """A regency's potential by sector and commodity (total volume per unit) and its clusters:
    commodities that two or more villages share. Two queries."""
    require(user, "products.potential.view", regency)
    in_regency = Q(village__code__startswith=regency.code + ".")
    aggregate = (
        Potential.objects.filter(in_regency)
        .values("sector", "commodity_key", "unit")
        .annotate(
            name=Min("commodity"), total=Sum("yearly_volume"), villages=Count("village_id", distinct=True)
        )
        .order_by("sector", "commodity_key", "unit")
    )
    rows: list[dict] = [dict(row) for row in aggregate]
    labels = dict(Sector.choices)
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["sector"]].append(row)
    by_sector = [(str(labels.get(sector, sector)), items) for sector, items in grouped.items()]
    places: dict[str, dict[str, str]] = defaultdict(dict)
    names: dict[str, str] = {}
    for key, name, code, village_name in (
        Potential.objects.filter(in_regency)
        .values_list("commodity_key", "commodity", "village_id", "village__name")
        .order_by("commodity_key", "village_id")
    ):
        places[key][code] = village_name
        names.setdefault(key, name)
    clusters = [
        Cluster(commodity=names[key], key=key, villages=sorted(villages.items()))
        for key, villages in sorted(places.items())
        if len(villages) >= 2
    ]
    return RegencyPotential(rows=rows, by_sector=by_sector, clusters=clusters)


def total_volume(rows: list[dict]) -> Decimal:
    return sum((row["total"] or Decimal(0) for row in rows), Decimal(0))


# --- Producers --------------------------------------------------------------------------------


def producer_list(*, user, cooperative: Cooperative) -> QuerySet[Producer]:
    require(user, "products.producer.view", cooperative)
    return Producer.objects.filter(cooperative=cooperative).select_related("village").order_by("name")


def producer_get(*, user, pk: int) -> Producer:
    producer = Producer.objects.select_related("cooperative", "village").filter(pk=pk).first()
    if producer is None:
        raise NotFound(_("No such producer."), code="unknown_producer")
    if not can(user, "products.producer.view", producer.cooperative):
        # A producer's own people see it too (to add their products).
        require(user, "products.product.create", producer)
    return producer


def producers_for(*, user) -> QuerySet[Producer]:
    """Producers for whom the user may add products."""
    if user is None or not user.is_authenticated:
        return Producer.objects.none()
    q = (
        Q(organization_id__in=org_ids(user, Role.PRODUCER))
        | Q(cooperative__organization_id__in=org_ids(user, *MANAGING))
        | region_q(user, "cooperative__village__code")
    )
    return Producer.objects.filter(q).select_related("cooperative", "village").order_by("name")


def cooperatives_managed(*, user) -> QuerySet[Cooperative]:
    """Cooperatives where the user may register producers."""
    if user is None or not user.is_authenticated:
        return Cooperative.objects.none()
    q = Q(organization_id__in=org_ids(user, *MANAGING)) | region_q(user, "village__code")
    return Cooperative.objects.filter(q).order_by("village_id")


def cooperative_get(*, user, pk: int) -> Cooperative:
    cooperative = Cooperative.objects.select_related("village").filter(pk=pk).first()
    if cooperative is None:
        raise NotFound(_("No such cooperative."), code="unknown_cooperative")
    require(user, "products.producer.view", cooperative)
    return cooperative


# --- Products (managing) ----------------------------------------------------------------------


def _manage_q(user) -> Q:
    return (
        Q(producer__organization_id__in=org_ids(user, Role.PRODUCER))
        | Q(cooperative__organization_id__in=org_ids(user, *MANAGING))
        | region_q(user, "village__code")
    )


def _filter(qs: QuerySet[Product], *, category="", line="", stars=None, regency="", status="", query=""):
    if category:
        qs = qs.filter(category=category)
    if line:
        qs = qs.filter(line=line)
    if stars not in (None, ""):
        qs = qs.filter(stars=int(stars))
    code = normalize_code(regency or "")
    if code:
        qs = qs.filter(regency_code=code[:5])
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(name__icontains=query.strip())
    return qs


def products_managed(
    *, user, category: str = "", line: str = "", status: str = "", query: str = "", regency: str = ""
) -> QuerySet[Product]:
    """Products the user may manage (producer people, managing officers, admins in region)."""
    if user is None or not user.is_authenticated:
        return Product.objects.none()
    qs = Product.objects.filter(_manage_q(user)).select_related("producer", "current_version", "village")
    return _filter(qs, category=category, line=line, status=status, query=query, regency=regency).order_by(
        "name", "id"
    )


def product_get(*, user, pk: int) -> Product:
    """A product for those who manage it."""
    product = (
        Product.objects.select_related("producer__cooperative", "current_version", "village", "cooperative")
        .filter(pk=pk)
        .first()
    )
    if product is None:
        raise NotFound(_("No such product."), code="unknown_product")
    require(user, "products.product.manage", product)
    return product


def version_list(*, product: Product) -> QuerySet[ProductVersion]:
    return product.versions.select_related("created_by").order_by("-number")


def photo_get(*, user, pk: int) -> ProductPhoto:
    photo = ProductPhoto.objects.select_related("product__producer__cooperative").filter(pk=pk).first()
    if photo is None:
        raise NotFound(_("No such photo."), code="unknown_photo")
    require(user, "products.product.manage", photo.product)
    return photo


# --- Products (public) ------------------------------------------------------------------------


def product_public(*, user, slug: str | None = None, pk: int | None = None) -> Product:
    """A product page: product, version, producer, village and cooperative in one query; photos
    and licences prefetched (three queries in all)."""
    product = (
        Product.objects.select_related(
            "current_version", "producer__village", "producer__cooperative", "village", "cooperative"
        )
        .prefetch_related("photos", "licences")
        .filter(**({"slug": slug} if slug is not None else {"pk": pk}))
        .first()
    )
    if product is None:
        raise NotFound(_("No such product."), code="unknown_product")
    require(user, "products.product.public", product)
    return product


def products_public(
    *, user, category: str = "", line: str = "", stars=None, regency: str = "", query: str = ""
) -> QuerySet[Product]:
    require(user, "products.product.public", None)
    qs = (
        Product.objects.exclude(status__in=HIDDEN_STATUSES)
        .select_related("current_version", "village")
        .prefetch_related("photos")
    )
    return _filter(qs, category=category, line=line, stars=stars, regency=regency, query=query).order_by(
        "-stars", "name", "id"
    )
