"""Every write of the licences area: licences, "ready for market", the daily expiry job and its
reminders, featured products and province targets."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kopdes.cooperatives.validators import clean_evidence, invalid
from kopdes.core.audit import audit_record, diff
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.policies import require
from kopdes.regions.models import Region

from . import selectors_licences as sel
from .choices import LicenceStatus, LicenceType, ProductStatus
from .models import FeaturedProduct, Licence, Product, ProvinceTarget

logger = logging.getLogger("kopdes.products")

_LICENCE_FIELDS = ("number", "issuer", "issued_on", "expires_on", "status")


def _snapshot(licence: Licence) -> dict:
    return {
        "number": licence.number,
        "issuer": licence.issuer,
        "issued_on": licence.issued_on.isoformat() if licence.issued_on else None,
        "expires_on": licence.expires_on.isoformat() if licence.expires_on else None,
        "status": licence.status,
        "document": licence.document.name if licence.document else "",
    }


def licence_set(
    *,
    actor,
    product: Product,
    licence_type: str,
    number: str = "",
    issuer: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    status: str = LicenceStatus.NOT_STARTED,
    document=None,
) -> Licence:
    """Create or update the product's licence of `licence_type`; nothing is saved when refused."""
    require(actor, "products.licences.manage", product)
    if licence_type not in LicenceType.values:
        raise invalid("licence_type", _("Unknown licence type."))
    if status not in LicenceStatus.values:
        raise invalid("status", _("Unknown licence status."))
    number, issuer = (number or "").strip(), (issuer or "").strip()
    if issued_on and expires_on and expires_on < issued_on:
        raise invalid("expires_on", _("A licence cannot expire before it was issued."))
    if status == LicenceStatus.ISSUED:
        errors = {}
        if not number:
            errors["number"] = [_("An issued licence has a number.")]
        if not issued_on:
            errors["issued_on"] = [_("An issued licence has an issue date.")]
        if errors:
            raise DomainError(_("Give the licence's number and issue date."), code="invalid", fields=errors)
    document = clean_evidence(document, "document")
    today = sel.local_today(product.village_id)
    if status == LicenceStatus.ISSUED and expires_on and expires_on < today:
        status = LicenceStatus.EXPIRED
    with transaction.atomic():
        licence = (
            Licence.objects.select_for_update().filter(product=product, licence_type=licence_type).first()
        )
        created = licence is None
        if licence is None:
            licence = Licence(product=product, licence_type=licence_type)
        before = {} if created else _snapshot(licence)
        if licence.expires_on != expires_on:
            licence.reminded_on = None  # a renewed licence is reminded afresh
        licence.number, licence.issuer, licence.status = number, issuer, status
        licence.issued_on, licence.expires_on = issued_on, expires_on
        if document is not None:
            licence.document = document
        licence.updated_at = timezone.now()
        licence.save()
        changes = diff(before, _snapshot(licence))
        if changes:
            audit_record(
                actor=actor,
                action="products.licence.create" if created else "products.licence.update",
                obj=licence,
                changes=changes,
            )
        product_unready_if_missing(product=product, on_date=today, actor=actor)
    return licence


def product_mark_ready(*, actor, product: Product) -> Product:
    """A curated product holding every required licence, issued and unexpired, is ready for market."""
    require(actor, "products.ready.mark", product)
    if product.status == ProductStatus.READY:
        raise Conflict(_("This product is already ready for market."), code="already_ready")
    if product.status != ProductStatus.CURATED:
        raise DomainError(
            _("Only a curated product can be marked ready for market."),
            code="not_curated",
            fields={"status": [_("The product has not passed curation.")]},
        )
    missing = sel.missing_licences(product, sel.local_today(product.village_id))
    if missing:
        names = sel.describe_groups(missing)
        raise DomainError(
            _("These licences are missing or expired: %(names)s") % {"names": "; ".join(names)},
            code="licences_missing",
            fields={"licences": names},
        )
    return _set_status(actor, product, ProductStatus.READY)


def _set_status(actor, product: Product, status: str) -> Product:
    old = product.status
    product.status = status
    product.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, action="products.product.status", obj=product, changes={"status": [old, status]}
    )
    return product


def product_unready_if_missing(*, product: Product, on_date: dt.date, actor=None) -> bool:
    """The way back: a ready product missing a required licence goes back to curated."""
    if product.status != ProductStatus.READY or not sel.missing_licences(product, on_date):
        return False
    _set_status(actor, product, ProductStatus.CURATED)
    return True


def licences_expire(*, on_date: dt.date | None = None) -> dict[str, int]:
    """The daily job: issued licences past their expiry date become expired, and ready products
    no longer holding their required licences go back to curated. Running it twice changes nothing."""
    on_date = on_date or timezone.localdate()
    expired = 0
    with transaction.atomic():
        for licence in Licence.objects.filter(
            status=LicenceStatus.ISSUED, expires_on__lt=on_date
        ).select_related("product"):
            licence.status = LicenceStatus.EXPIRED
            licence.updated_at = timezone.now()
            licence.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=None,
                action="products.licence.expire",
                obj=licence,
                changes={"status": [LicenceStatus.ISSUED, LicenceStatus.EXPIRED]},
            )
            expired += 1
        unready = 0
        for product in Product.objects.filter(status=ProductStatus.READY).prefetch_related("licences"):
            if product_unready_if_missing(product=product, on_date=on_date):
                unready += 1
    return {"expired": expired, "unready": unready}


def licence_reminders_send(*, on_date: dt.date | None = None) -> dict[str, int]:
    """Mail the cooperative's officers about licences expiring within 60 and 14 days, and expired
    ones: at most once per licence and threshold (Licence.reminded_on). Idempotent."""
    on_date = on_date or timezone.localdate()
    due = []
    for licence in sel.licences_due(on_date=on_date):
        if licence.expires_on is None:
            continue
        bucket = sel.reminder_bucket(licence.expires_on, on_date)
        if bucket is None:
            continue
        if licence.reminded_on is not None:
            sent = sel.reminder_bucket(licence.expires_on, licence.reminded_on)
            if sent is not None and sent <= bucket:
                continue  # this threshold (or a stricter one) was already reminded
        due.append((licence, bucket))
    officers = sel.officers_of(sorted({lic.product.cooperative.organization_id for lic, _b in due}))
    mails = 0
    for licence, bucket in due:
        product = licence.product
        recipients = [u.email for u in officers.get(product.cooperative.organization_id, []) if u.email]
        if recipients:
            if bucket == 0:
                subject = _("Licence expired: %(licence)s for %(product)s")
            else:
                subject = _("Licence expires in %(days)s days: %(licence)s for %(product)s")
            subject = subject % {
                "licence": licence.get_licence_type_display(),
                "product": product.name,
                "days": (licence.expires_on - on_date).days,  # type: ignore[operator]
            }
            body = _(
                "%(licence)s (number %(number)s) of %(product)s expires on %(date)s. "
                "Renew it in time; an expired licence takes the product off the market.\n\n%(url)s"
            ) % {
                "licence": licence.get_licence_type_display(),
                "number": licence.number or "-",
                "product": product.name,
                "date": licence.expires_on.isoformat() if licence.expires_on else "",
                "url": reverse("products:licences", args=[product.pk]),
            }
            try:
                send_mail(subject, body, None, recipients)
            except Exception:  # a failing mail server must not stop the other reminders
                logger.exception("licence reminder %s not sent", licence.pk)
                continue
            mails += 1
        Licence.objects.filter(pk=licence.pk).update(reminded_on=on_date)
    return {"due": len(due), "mails": mails}


# --- Featured products and targets -------------------------------------------------------------


def featured_designate(
    *, actor, product: Product, regency: Region, at: dt.datetime | None = None
) -> FeaturedProduct:
    """Designate a curated product of the regency as featured for the regency's current local month."""
    require(actor, "products.featured.designate", regency)
    if regency.level != 2:
        raise invalid("regency", _("Choose a regency or city."))
    if product.regency_code != regency.code:
        raise invalid("product", _("This product is not from this regency."))
    if product.status not in (ProductStatus.CURATED, ProductStatus.READY):
        raise DomainError(
            _("Only a curated product can be featured."),
            code="not_curated",
            fields={"product": [_("The product has not passed curation.")]},
        )
    month = sel.local_month(regency.code, at)
    try:
        with transaction.atomic():
            featured = FeaturedProduct.objects.create(
                product=product, regency=regency, month=month, designated_by=actor if actor else None
            )
    except IntegrityError:
        raise Conflict(
            _("This product is already featured this month."),
            code="already_featured",
            fields={"product": [_("Already featured this month.")]},
        ) from None
    audit_record(
        actor=actor, action="products.featured.designate", obj=featured, changes={"month": month.isoformat()}
    )
    return featured


def target_set(*, actor, province: Region, per_regency_per_month: int) -> ProvinceTarget:
    require(actor, "products.targets.set", province)
    if province.level != 1:
        raise invalid("province", _("Choose a province."))
    if not 0 <= int(per_regency_per_month) <= 100:
        raise invalid("per_regency_per_month", _("Give a number between 0 and 100."))
    old = sel.target_for(province.code)
    row, _created = ProvinceTarget.objects.update_or_create(
        province=province, defaults={"per_regency_per_month": int(per_regency_per_month)}
    )
    if old != row.per_regency_per_month:
        audit_record(
            actor=actor,
            action="products.target.set",
            obj=row,
            region_code=province.code,
            changes={"per_regency_per_month": [old, row.per_regency_per_month]},
        )
    return row
