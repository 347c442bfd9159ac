"""WhatsApp click-to-chat: a wa.me link with a prefilled message. A link only: nothing is loaded
from WhatsApp when the page is shown."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext as _
from lokal import format_rupiah, parse_phone


def whatsapp_link(phone: str | None, text: str = "") -> str:
    """https://wa.me/<digits>?text=<urlencoded>, or "" when the number cannot take WhatsApp
    (a landline, or not a number)."""
    if not phone:
        return ""
    info = parse_phone(str(phone))
    if not info.valid or not info.whatsapp:
        return ""
    return f"https://wa.me/{info.whatsapp}" + (f"?text={quote(text, safe='')}" if text else "")


def order_message(order, *, lines=None, url: str = "") -> str:
    """The buyer's message to the cooperative about an order: its number, items, total and its
    private link (`url`, absolute; the order's own path when not given)."""
    lines = list(order.lines.all()) if lines is None else lines
    parts = [
        _("Hello %(seller)s, about my order %(number)s:")
        % {"seller": order.cooperative.name, "number": order.number}
    ]
    parts += [f"- {line.quantity} x {line.name} ({format_rupiah(line.line_total)})" for line in lines]
    parts.append(_("Total: %(total)s") % {"total": format_rupiah(order.total)})
    parts.append(url or order.get_absolute_url())
    return "\n".join(parts)
