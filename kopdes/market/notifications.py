"""Telling buyers and sellers what happened to an order: email, and WhatsApp click-to-chat links.

The services owe a notification in their own transaction (`order_notices`, a row of the
outbox); a task sends what the outbox holds once it commits (`order_notices_send`). Messages are
in Indonesian, plain text with a simple HTML alternative, with absolute links. A NIK never
appears in one: every text is masked on the way out, in case a buyer typed one into a note or an
address.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from lokal import format_rupiah

from kopdes.core import rows
from kopdes.core.commit_marks import Mark
from kopdes.core.masking import mask_sensitive

logger = logging.getLogger(__name__)

BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
BUYER = "buyer"
SELLER = "seller"

# Who hears of what. The seller's own steps (the fee it quoted, the parcel it shipped) go to the
# buyer only; a late payment (after cancellation) tells both that a refund is due.
AUDIENCES: dict[str, tuple[str, ...]] = {
    "created": (BUYER, SELLER),
    "payment_paid": (BUYER, SELLER),
    "payment_late": (BUYER, SELLER),
    "shipping_quoted": (BUYER,),
    "shipped": (BUYER,),
    "cancelled": (BUYER, SELLER),
    "returned": (BUYER, SELLER),
}


NOTICES_SCHEDULED_KEY = "market:notices-scheduled"
NOTICES_PER_ROUND = 200


def order_notices(*, order_id: int, what: str, later=transaction.on_commit) -> list:
    """The notifications owed for an order event: rows of the outbox, unsaved (none for an event
    nobody hears of), which the caller writes in its transaction; a task sends them once it
    commits. (One row: an enqueue per event cost the web worker four times as much, on the
    checkout's path.) `later`: what registers the task's scheduling for the commit (a
    Statement's `on_commit`, for rows it writes)."""
    if not AUDIENCES.get(what):
        return []
    from .models import OrderNotice

    later(_notices_schedule, robust=True)  # the notices wait for the next commit
    return [OrderNotice(order_id=order_id, what=what)]


def _enqueue_notices() -> None:
    from .tasks import order_notices_send_task

    order_notices_send_task.enqueue()


# One sending task queued at a time however many orders commit: the task clears the mark before
# it reads the outbox, so a notice committed after that queues the next task. The mark expires,
# in case the queue lost a task.
_notices_schedule = Mark(NOTICES_SCHEDULED_KEY, 60, _enqueue_notices)


def order_notices_send() -> int:
    """Send what the outbox holds, oldest first; returns how many messages went out. Each round
    claims its notices by deleting them (one statement: two tasks never send the same one)."""
    from .models import OrderNotice

    cache.delete(NOTICES_SCHEDULED_KEY)
    table = rows.table(OrderNotice)
    sent = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id LIMIT %s) "  # noqa: S608  (our table)
                "RETURNING id, order_id, what",
                [NOTICES_PER_ROUND],
            )
            claimed = sorted(cursor.fetchall())
        for _id, order_id, what in claimed:
            sent += order_notify_send(order_id=order_id, what=what)
        if len(claimed) < NOTICES_PER_ROUND:
            return sent


def site_url() -> str:
    """The site's public address for links in messages (no request at hand in a task).

    KOPDES_SITE_URL when set; otherwise the first allowed host, over https in production."""
    configured = getattr(settings, "KOPDES_SITE_URL", "")
    if configured:
        return configured.rstrip("/")
    hosts = [host for host in settings.ALLOWED_HOSTS if host and not host.startswith((".", "*"))]
    scheme = "https" if getattr(settings, "PRODUCTION", False) else "http"
    return f"{scheme}://{hosts[0] if hosts else 'localhost:8000'}"


def _absolute(path: str) -> str:
    return site_url() + path if path else ""


def _subject(what: str, audience: str, order) -> str:
    values = {
        "number": order.number,
        "seller": order.cooperative.name,
        "total": format_rupiah(order.total),
    }
    pickup = order.delivery_method == "pickup"
    subjects = {
        (BUYER, "created"): _("Order %(number)s received by %(seller)s"),
        (SELLER, "created"): _("New order %(number)s: %(total)s"),
        (BUYER, "payment_paid"): _("Payment received for order %(number)s"),
        (SELLER, "payment_paid"): _("Order %(number)s is paid: prepare it"),
        (BUYER, "payment_late"): _("Payment for cancelled order %(number)s: a refund is due"),
        (SELLER, "payment_late"): _("Payment for cancelled order %(number)s: refund the buyer"),
        (BUYER, "shipping_quoted"): _("Delivery fee set for order %(number)s: please pay %(total)s"),
        (BUYER, "shipped"): _("Order %(number)s is ready for pickup")
        if pickup
        else _("Order %(number)s is on its way"),
        (BUYER, "cancelled"): _("Order %(number)s is cancelled"),
        (SELLER, "cancelled"): _("Order %(number)s is cancelled"),
        (BUYER, "returned"): _("Order %(number)s is returned"),
        (SELLER, "returned"): _("Order %(number)s is returned"),
    }
    return subjects[(audience, what)] % values


def _context(order, lines) -> dict:
    from kopdes.products.selectors_licences import region_zone

    cooperative = order.cooperative
    try:
        private_url = _absolute(order.get_absolute_url())
    except NoReverseMatch:  # the buyer's pages are not installed
        private_url = ""
    return {
        "order": order,
        "lines": lines,
        "cooperative": cooperative,
        "private_url": private_url,
        "seller_url": _absolute(reverse("market:seller_order", args=[cooperative.slug, order.number])),
        "board_url": _absolute(reverse("market:order_board", args=[cooperative.slug])),
        "site_url": site_url(),
        "zone": region_zone(cooperative.village_id),
    }


def _recipient(audience: str, order) -> str:
    return (order.contact_email if audience == BUYER else order.cooperative.email) or ""


def order_notify_send(*, order_id: int, what: str) -> int:
    """Email the buyer (if they gave an address) and the cooperative about an order event;
    returns how many messages were sent."""
    from .models import Order

    audiences = AUDIENCES.get(what)
    if not audiences:
        return 0
    order = (
        Order.objects.select_related("cooperative", "pickup_location", "address_village", "delivery_zone")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        return 0
    wanted = [(audience, _recipient(audience, order)) for audience in audiences]
    wanted = [(audience, address) for audience, address in wanted if address]
    if not wanted:
        return 0
    lines = list(order.lines.all())
    sent = 0
    with translation.override("id"):
        context = _context(order, lines)
        for audience, address in wanted:
            values = {**context, "what": what, "audience": audience}
            subject = mask_sensitive(" ".join(_subject(what, audience, order).split()))
            text = mask_sensitive(render_to_string(f"market/email/{audience}.txt", values))
            text = BLANK_LINES.sub("\n\n", text).strip() + "\n"
            # The HTML alternative shows the same text, with its links clickable and one button.
            html = render_to_string(
                f"market/email/{audience}.html", {**values, "subject": subject, "text": text}
            )
            message = EmailMultiAlternatives(subject, text, None, [address])
            message.attach_alternative(html, "text/html")
            try:
                message.send()
            except Exception:  # one failing address must not keep the other message back
                logger.exception("order %s: %s mail to the %s not sent", order.number, what, audience)
                continue
            sent += 1
    return sent
