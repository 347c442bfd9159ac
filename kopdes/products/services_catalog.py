"""Writes of the catalog: village potential, producers, products with their versions and photos.

Every service asks the policy layer first and audits what it changed. A product's status is not
changed here (curation, licences and market readiness have their own services); a product is
created as a draft.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kopdes.accounts.choices import OrgKind
from kopdes.accounts.services import organization_create
from kopdes.cooperatives.media import _caption, _save_photo, prepare_image
from kopdes.cooperatives.models import Cooperative
from kopdes.core.audit import audit_record, diff
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.policies import require
from kopdes.regions.models import Region

from .choices import LINE_OF_PRODUCER, Category, ProcessingLevel, ProducerKind, Sector
from .models import Potential, PotentialPhoto, Producer, Product, ProductPhoto, ProductVersion

VERSION_FIELDS = (
    "name",
    "description",
    "story",
    "unit",
    "net_content",
    "price",
    "monthly_capacity",
    "processing_level",
    "local_material_percent",
    "packaging",
    "shelf_life_days",
    "hs_code",
)
PRODUCT_FIELDS = ("name", "category")
HS_CODE = re.compile(r"^\d{4,10}$")


def _invalid(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, fields={field: [message]})


# --- Potential --------------------------------------------------------------------------------


def commodity_key(commodity: str) -> str:
    """ "Kopi", " kopi " and "KOPI" are one commodity: trimmed, single-spaced, lower-case."""
    return " ".join((commodity or "").split()).lower()[:80]


def _potential_fields(
    *, sector: str, commodity: str, yearly_volume, unit: str, season: str, notes: str
) -> dict:
    if sector not in Sector.values:
        raise _invalid("sector", _("Choose a sector from the list."))
    name = " ".join((commodity or "").split())
    if not name:
        raise _invalid("commodity", _("Name the commodity."))
    if len(name) > 80:
        raise _invalid("commodity", _("At most 80 characters."))
    volume = None
    if yearly_volume not in (None, ""):
        try:
            volume = Decimal(str(yearly_volume).replace(",", "."))
        except InvalidOperation:
            raise _invalid("yearly_volume", _("Enter a number.")) from None
        if volume < 0 or not volume.is_finite() or volume >= Decimal("1e12"):
            raise _invalid("yearly_volume", _("Enter a volume of zero or more."))
        volume = volume.quantize(Decimal("0.01"))
    unit = (unit or "").strip()
    if volume is not None and not unit:
        raise _invalid("unit", _("Say in which unit the volume is (ton, kg, ekor, lembar…)."))
    return {
        "sector": sector,
        "commodity": name,
        "commodity_key": commodity_key(name),
        "yearly_volume": volume,
        "unit": unit[:20],
        "season": (season or "").strip()[:80],
        "notes": (notes or "").strip(),
    }


def _snapshot(potential: Potential) -> dict:
    return {
        "sector": potential.sector,
        "commodity": potential.commodity,
        "yearly_volume": str(potential.yearly_volume) if potential.yearly_volume is not None else None,
        "unit": potential.unit,
        "season": potential.season,
        "notes": potential.notes,
        "surveyed_on": potential.surveyed_on.isoformat() if potential.surveyed_on else None,
    }


@transaction.atomic
def potential_record(
    *,
    actor,
    village: Region,
    sector: str,
    commodity: str,
    yearly_volume=None,
    unit: str = "",
    season: str = "",
    notes: str = "",
    surveyed_on: date | None = None,
) -> Potential:
    """Record one commodity of a village; recording it again (same sector) updates the row."""
    if village is None or village.level != 4:
        raise _invalid("village", _("Choose a village."), "not_a_village")
    require(actor, "products.potential.record", village)
    fields = _potential_fields(
        sector=sector, commodity=commodity, yearly_volume=yearly_volume, unit=unit, season=season, notes=notes
    )
    surveyed_on = surveyed_on or timezone.localdate()
    if surveyed_on > timezone.localdate():
        raise _invalid("surveyed_on", _("The survey date cannot be in the future."))
    existing = (
        Potential.objects.select_for_update()
        .filter(village=village, sector=fields["sector"], commodity_key=fields["commodity_key"])
        .first()
    )
    if existing is not None:
        before = _snapshot(existing)
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.surveyed_on = surveyed_on
        existing.surveyed_by = actor if getattr(actor, "is_authenticated", False) else None
        existing.save()
        audit_record(
            actor=actor,
            action="products.potential.update",
            obj=existing,
            changes=diff(before, _snapshot(existing)),
        )
        return existing
    potential = Potential.objects.create(
        village=village,
        surveyed_by=actor if getattr(actor, "is_authenticated", False) else None,
        surveyed_on=surveyed_on,
        **fields,
    )
    audit_record(actor=actor, action="products.potential.record", obj=potential, changes=_snapshot(potential))
    return potential


@transaction.atomic
def potential_update(*, actor, potential: Potential, **changes) -> Potential:
    """Change a recorded commodity (sector, name, volume, unit, season, notes, survey date)."""
    require(actor, "products.potential.record", potential.village)
    before = _snapshot(potential)
    current = {
        "sector": potential.sector,
        "commodity": potential.commodity,
        "yearly_volume": potential.yearly_volume,
        "unit": potential.unit,
        "season": potential.season,
        "notes": potential.notes,
    }
    unknown = set(changes) - set(current) - {"surveyed_on"}
    if unknown:
        raise DomainError(_("These fields cannot be changed: %s.") % ", ".join(sorted(unknown)))
    surveyed_on = changes.pop("surveyed_on", None) or potential.surveyed_on
    if surveyed_on > timezone.localdate():
        raise _invalid("surveyed_on", _("The survey date cannot be in the future."))
    fields = _potential_fields(**{**current, **changes})
    clash = (
        Potential.objects.filter(
            village_id=potential.village_id, sector=fields["sector"], commodity_key=fields["commodity_key"]
        )
        .exclude(pk=potential.pk)
        .exists()
    )
    if clash:
        raise _invalid("commodity", _("This commodity is already recorded for the village."), "duplicate")
    for name, value in fields.items():
        setattr(potential, name, value)
    potential.surveyed_on = surveyed_on
    potential.save()
    audit_record(
        actor=actor,
        action="products.potential.update",
        obj=potential,
        changes=diff(before, _snapshot(potential)),
    )
    return potential


@transaction.atomic
def potential_photo_add(*, actor, potential: Potential, image, caption: str = "") -> PotentialPhoto:
    require(actor, "products.potential.record", potential.village)
    data, extension = prepare_image(image)
    photo = PotentialPhoto(potential=potential, caption=_caption(caption))
    _save_photo(photo, data, extension)
    audit_record(
        actor=actor, action="products.potential.photo_add", obj=potential, changes={"photo": photo.image.name}
    )
    return photo


# --- Producers --------------------------------------------------------------------------------


@transaction.atomic
def producer_create(
    *,
    actor,
    cooperative: Cooperative,
    kind: str,
    name: str = "",
    village: Region | None = None,
    special_needs_school: bool = False,
) -> Producer:
    """Register who makes products for the cooperative: the cooperative itself, a member's UMKM,
    a group, a school or a class, in one of the villages the cooperative serves."""
    require(actor, "products.producer.create", cooperative)
    if kind not in ProducerKind.values:
        raise _invalid("kind", _("Choose what kind of producer this is."))
    village = village or cooperative.village
    served = set(cooperative.villages.values_list("village_id", flat=True))
    if village.code not in served:
        raise _invalid("village", _("This village is not served by the cooperative."), "village_not_served")
    if special_needs_school and kind != ProducerKind.SCHOOL:
        raise _invalid("special_needs_school", _("Only a school can be a special-needs school."))
    if kind == ProducerKind.COOPERATIVE:
        organization = cooperative.organization
        if Producer.objects.filter(organization=organization).exists():
            raise DomainError(
                _("The cooperative is already registered as a producer."),
                code="duplicate_producer",
                fields={"kind": [_("Already registered.")]},
            )
        name = (name or "").strip() or cooperative.name
    else:
        name = (name or "").strip()
        if not name:
            raise _invalid("name", _("Name the producer."))
        if len(name) > 200:
            raise _invalid("name", _("At most 200 characters."))
        organization = organization_create(actor=None, kind=OrgKind.PRODUCER, name=name, region=village)
    producer = Producer.objects.create(
        organization=organization,
        cooperative=cooperative,
        village=village,
        kind=kind,
        name=name[:200],
        special_needs_school=special_needs_school,
    )
    audit_record(
        actor=actor,
        action="products.producer.create",
        obj=producer,
        changes={"kind": kind, "name": producer.name, "cooperative": cooperative.pk, "village": village.code},
    )
    return producer


# --- Products ---------------------------------------------------------------------------------


def _clean_version(fields: dict) -> dict:
    """Checked version fields (only those given)."""
    out: dict = {}
    for key, value in fields.items():
        if key in ("name", "description", "story", "unit", "net_content", "packaging", "hs_code"):
            value = (value or "").strip()
        out[key] = value
    if "name" in out:
        if not out["name"]:
            raise _invalid("name", _("Name the product."))
        if len(out["name"]) > 150:
            raise _invalid("name", _("At most 150 characters."))
    if "price" in out:
        price = out["price"]
        if isinstance(price, bool) or not isinstance(price, int) or price < 1:
            raise _invalid("price", _("Enter the price in whole rupiah, more than zero."))
        if price > 10**12:
            raise _invalid("price", _("This price is too high."))
    if "unit" in out:
        out["unit"] = out["unit"] or "pcs"
        if len(out["unit"]) > 30:
            raise _invalid("unit", _("At most 30 characters."))
    if "net_content" in out and len(out["net_content"]) > 40:
        raise _invalid("net_content", _("At most 40 characters."))
    if "packaging" in out and len(out["packaging"]) > 120:
        raise _invalid("packaging", _("At most 120 characters."))
    if "monthly_capacity" in out:
        out["monthly_capacity"] = out["monthly_capacity"] or 0
        if not isinstance(out["monthly_capacity"], int) or not 0 <= out["monthly_capacity"] < 2**31:
            raise _invalid("monthly_capacity", _("Enter a whole number of zero or more."))
    if "processing_level" in out and out["processing_level"] not in ProcessingLevel.values:
        raise _invalid("processing_level", _("Choose a processing level from the list."))
    if "local_material_percent" in out:
        share = out["local_material_percent"]
        share = 0 if share is None else share
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
            raise _invalid("local_material_percent", _("Enter a share between 0 and 100."))
        out["local_material_percent"] = share
    if "shelf_life_days" in out:
        days = out["shelf_life_days"]
        if days is not None and (
            isinstance(days, bool) or not isinstance(days, int) or not 1 <= days < 2**31
        ):
            raise _invalid("shelf_life_days", _("A shelf life is at least 1 day."))
    if out.get("hs_code"):
        code = out["hs_code"].replace(".", "").replace(" ", "")
        if not HS_CODE.match(code):
            raise _invalid("hs_code", _("An HS code is 4 to 10 digits."))
        out["hs_code"] = code
    return out


def _slug(name: str) -> str:
    base = slugify(name)[:160].strip("-") or "produk"
    while True:
        slug = f"{base}-{uuid.uuid4().hex[:6]}"
        if not Product.objects.filter(slug=slug).exists():
            return slug


@transaction.atomic
def product_create(
    *,
    actor,
    producer: Producer,
    name: str,
    category: str,
    price: int,
    description: str = "",
    story: str = "",
    unit: str = "pcs",
    net_content: str = "",
    monthly_capacity: int = 0,
    processing_level: str = ProcessingLevel.PROCESSED,
    local_material_percent: int = 0,
    packaging: str = "",
    shelf_life_days: int | None = None,
    hs_code: str = "",
) -> Product:
    """Add a product (a draft) and its first version."""
    require(actor, "products.product.create", producer)
    if category not in Category.values:
        raise _invalid("category", _("Choose a category from the list."))
    fields = _clean_version(
        {
            "name": name,
            "price": price,
            "description": description,
            "story": story,
            "unit": unit,
            "net_content": net_content,
            "monthly_capacity": monthly_capacity,
            "processing_level": processing_level,
            "local_material_percent": local_material_percent,
            "packaging": packaging,
            "shelf_life_days": shelf_life_days,
            "hs_code": hs_code,
        }
    )
    product = Product.objects.create(
        producer=producer,
        cooperative_id=producer.cooperative_id,
        village_id=producer.village_id,
        regency_code=producer.village_id[:5],
        line=LINE_OF_PRODUCER[ProducerKind(producer.kind)],
        name=fields["name"],
        slug=_slug(fields["name"]),
        category=category,
    )
    creator = actor if getattr(actor, "is_authenticated", False) else None
    version = ProductVersion.objects.create(product=product, number=1, created_by=creator, **fields)
    product.current_version = version
    product.save(update_fields=["current_version"])
    audit_record(
        actor=actor,
        action="products.product.create",
        obj=product,
        changes={
            "name": product.name,
            "category": category,
            "price": version.price,
            "status": product.status,
        },
    )
    return product


def _version_values(version: ProductVersion) -> dict:
    return {name: getattr(version, name) for name in VERSION_FIELDS}


@transaction.atomic
def product_update(*, actor, product: Product, **fields) -> Product:
    """Change a product. A version already submitted to curation stays as it was judged: the
    changes go into a new version, which becomes the current one."""
    require(actor, "products.product.manage", product)
    unknown = set(fields) - set(VERSION_FIELDS) - set(PRODUCT_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed: %s.") % ", ".join(sorted(unknown)))
    if "category" in fields and fields["category"] not in Category.values:
        raise _invalid("category", _("Choose a category from the list."))
    product = Product.objects.select_for_update().get(pk=product.pk)
    current = product.current_version or product.versions.order_by("-number").first()
    if current is None:
        raise NotFound(_("This product has no version."), code="no_version")
    version_changes = _clean_version({k: v for k, v in fields.items() if k in VERSION_FIELDS})
    before = {**_version_values(current), "category": product.category}
    after = {**before, **version_changes, **{k: v for k, v in fields.items() if k == "category"}}
    changes = diff(before, after)
    if not changes:
        return product
    creator = actor if getattr(actor, "is_authenticated", False) else None
    if current.locked:
        number = (product.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        values = {**_version_values(current), **version_changes}
        current = ProductVersion.objects.create(product=product, number=number, created_by=creator, **values)
        changes["version"] = [number - 1 if number > 1 else None, number]
    else:
        for name, value in version_changes.items():
            setattr(current, name, value)
        current.save()
    product.current_version = current
    product.name = current.name
    if "category" in fields:
        product.category = fields["category"]
    product.save()
    audit_record(actor=actor, action="products.product.update", obj=product, changes=changes)
    if "price" in changes:
        audit_record(
            actor=actor, action="products.product.price", obj=product, changes={"price": changes["price"]}
        )
    return product


@transaction.atomic
def product_photo_add(*, actor, product: Product, image, caption: str = "") -> ProductPhoto:
    """Add a photo (JPEG, PNG or WebP up to 5 MB; shrunk, metadata removed)."""
    require(actor, "products.product.manage", product)
    data, extension = prepare_image(image)
    photo = ProductPhoto(product=product, caption=_caption(caption))
    _save_photo(photo, data, extension)
    audit_record(
        actor=actor, action="products.product.photo_add", obj=product, changes={"photo": photo.image.name}
    )
    return photo


@transaction.atomic
def product_photo_remove(*, actor, photo: ProductPhoto) -> None:
    product = photo.product
    require(actor, "products.product.manage", product)
    name = photo.image.name or ""
    storage = photo.image.storage
    photo.delete()
    audit_record(actor=actor, action="products.product.photo_remove", obj=product, changes={"photo": name})
    transaction.on_commit(lambda: storage.delete(name))
