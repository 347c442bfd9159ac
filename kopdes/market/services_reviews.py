"""Reviews: stars and words from the buyer after receipt, one per order line."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kopdes.core.audit import audit_record
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.policies import require

from .catalog_cache import catalog_touch
from .models import Listing, OrderLine, Review

MAX_TEXT = 2000


def _author_name(contact_name: str) -> str:
    """ "Maria Goreti Lado" -> "Maria L.": enough to be a person, not enough to find them."""
    words = (contact_name or "").split()
    if not words:
        return _("Buyer")
    return words[0][:100] + (f" {words[-1][0].upper()}." if len(words) > 1 else "")


def _stars(value) -> int:
    try:
        stars = int(value)
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        message = _("Choose from 1 to 5 stars.")
        raise DomainError(message, code="invalid", fields={"stars": [message]})
    return stars


@transaction.atomic
def review_add(*, actor, line: OrderLine, stars, text: str = "") -> Review:
    """The buyer reviews one line of a received order; the listing's rating follows at once."""
    require(actor, "market.review.add", line)
    stars = _stars(stars)
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        message = _("Keep the review under %(max)s characters.") % {"max": MAX_TEXT}
        raise DomainError(message, code="invalid", fields={"text": [message]})
    already = Conflict(
        _("You have already reviewed %(name)s.") % {"name": line.name}, code="already_reviewed"
    )
    if Review.objects.filter(order_line=line).exists():
        raise already
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order_line=line,
                listing_id=line.listing_id,
                product_id=line.product_id,
                stars=stars,
                text=text,
                author_name=_author_name(line.order.contact_name),
            )
    except IntegrityError:  # the same line reviewed by a concurrent request
        raise already from None
    Listing.objects.filter(pk=line.listing_id).update(
        rating_sum=F("rating_sum") + stars, rating_count=F("rating_count") + 1
    )
    audit_record(
        actor=actor,
        action="market.review.add",
        obj=line.order,
        changes={"line": line.pk, "listing": line.listing_id, "stars": stars},
    )
    catalog_touch()
    return review
