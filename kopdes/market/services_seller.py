"""How a cooperative sells, beyond its listings and stock (services_stock): its outlets and
warehouses going out of use, its own delivery zones, and its seller settings."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kopdes.core.audit import audit_record
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.policies import require
from kopdes.regions.codes import within

from .catalog_cache import catalog_touch
from .models import DeliveryZone, Location, SellerSettings, StockLevel

MAX_PAYMENT_HOURS = 7 * 24  # a week: longer holds stock that others could buy
MAX_ZONE_FEE = 10_000_000


def _invalid(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, fields={field: [message]})


@transaction.atomic
def location_set_active(*, actor, location: Location, active: bool) -> Location:
    """Take an outlet or warehouse out of use (only once it holds no stock), or back into use."""
    if location.cooperative is None:
        raise _invalid("location", _("A display point's shelf is managed by its operator."))
    require(actor, "market.listing.manage", location.cooperative)
    locked = Location.objects.select_for_update().get(pk=location.pk)
    if locked.is_active == active:
        return locked
    if not active and StockLevel.objects.filter(location=locked, quantity__gt=0).exists():
        raise Conflict(
            _("This place still holds stock. Adjust its stock to zero (or move it) first."),
            code="location_has_stock",
            fields={"location": [_("Still holds stock.")]},
        )
    locked.is_active = active
    locked.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="market.location.activate" if active else "market.location.deactivate",
        obj=locked,
        changes={"is_active": [not active, active]},
    )
    return locked


@transaction.atomic
def delivery_zone_set(*, actor, cooperative, region, fee, name: str = "") -> DeliveryZone:
    """Deliver to every address inside `region` (a regency, district or village) for `fee`;
    setting an area again changes its fee."""
    require(actor, "market.listing.manage", cooperative)
    if region is None or region.level < 2:
        raise _invalid("region", _("Choose a regency, a district or a village."))
    if not within(region.code, cooperative.village_id[:2]):
        raise _invalid("region", _("The cooperative delivers itself only inside its own province."))
    try:
        fee = int(fee)
    except (TypeError, ValueError):
        raise _invalid("fee", _("Enter a whole number.")) from None
    if not (0 <= fee <= MAX_ZONE_FEE):
        raise _invalid("fee", _("Enter a fee between Rp0 and Rp10.000.000."))
    name = (name or "").strip()[:120] or region.name
    zone = DeliveryZone.objects.select_for_update().filter(cooperative=cooperative, region=region).first()
    if zone is None:
        zone = DeliveryZone.objects.create(cooperative=cooperative, region=region, name=name, fee=fee)
        audit_record(
            actor=actor, action="market.zone.create", obj=zone, changes={"region": region.code, "fee": fee}
        )
        return zone
    changes = {
        field: [getattr(zone, field), value]
        for field, value in (("fee", fee), ("name", name), ("is_active", True))
        if getattr(zone, field) != value
    }
    if changes:
        for field, (_old, value) in changes.items():
            setattr(zone, field, value)
        zone.save(update_fields=list(changes))
        audit_record(actor=actor, action="market.zone.update", obj=zone, changes=changes)
    return zone


@transaction.atomic
def delivery_zone_remove(*, actor, zone: DeliveryZone) -> DeliveryZone:
    """Stop delivering to a zone. Kept (inactive), since past orders point at it."""
    require(actor, "market.listing.manage", zone.cooperative)
    if zone.is_active:
        zone.is_active = False
        zone.save(update_fields=["is_active"])
        audit_record(actor=actor, action="market.zone.remove", obj=zone, changes={"is_active": [True, False]})
    return zone


SETTINGS_FIELDS = ("courier_enabled", "cod_enabled", "transfer_enabled", "payment_hours")


@transaction.atomic
def seller_settings_update(*, actor, cooperative, **values) -> SellerSettings:
    """Change how the cooperative sells; the settings row is created on the first save."""
    require(actor, "market.listing.manage", cooperative)
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError(_("Unknown field: %(field)s") % {"field": sorted(unknown)[0]})
    clean: dict = {}
    for field, value in values.items():
        if value is None:
            continue
        if field == "payment_hours":
            try:
                hours = int(value)
            except (TypeError, ValueError):
                raise _invalid(field, _("Enter a whole number.")) from None
            if not (1 <= hours <= MAX_PAYMENT_HOURS):
                raise _invalid(field, _("Between 1 and 168 hours (a week)."))
            clean[field] = hours
        else:
            clean[field] = bool(value)
    settings, created = SellerSettings.objects.select_for_update().get_or_create(cooperative=cooperative)
    changes = {
        field: [getattr(settings, field), value]
        for field, value in clean.items()
        if created or getattr(settings, field) != value
    }
    for field, (_old, value) in changes.items():
        setattr(settings, field, value)
    if changes:
        settings.save()
    if changes or created:
        audit_record(
            actor=actor,
            action="market.seller_settings.update",
            obj=settings,
            changes=changes,
            region_code=str(cooperative.village_id),
        )
        catalog_touch()
    return settings
