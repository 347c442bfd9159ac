"""The catalog's product cards as HTML, made in Python.

The cards are most of the catalog page: 24 of them, each some thirty template nodes, took three
quarters of the page's rendering time through the template engine. The same markup made here
with plain string joins costs a fraction of that. Every value is escaped; the texts are the
template's own messages (the same msgids, so their translations apply) and the numbers shown are
localised as the template localised them (1.234 in Indonesian).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape as _escape

from django.template.defaultfilters import floatformat
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from lokal import format_rupiah


def escape(value: object) -> str:
    """Django's `escape` without its lazy-string wrapper (the same five characters, the same
    entities), which cost more than the escaping here."""
    return _escape(str(value), quote=True)


def catalog_cards(items: Iterable, *, cart_add_url: str, csrf_token: str, here: str) -> SafeString:
    """`<ul class="mk-cards">` with one card per listing (decorated by `_decorate`)."""
    # The messages outside the f-strings: makemessages does not look inside them.
    featured_label, halal_label = gettext("Featured"), gettext("Halal")
    sold_out_label = gettext("Sold out")
    featured = f'<span class="badge">{escape(featured_label)}</span> '
    halal = f'<span class="badge">{escape(halal_label)}</span> '
    sold_out = f'<p><span class="badge mk-out" data-sold-out>{escape(sold_out_label)}</span></p>'
    add = escape(gettext("Add to cart"))
    form_head = (
        f'<form method="post" action="{escape(cart_add_url)}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    )
    next_field = f'<input type="hidden" name="next" value="{escape(here)}">'
    parts = ['<ul class="mk-cards">']
    for listing in items:
        pk = str(listing.pk)
        url = escape(listing.url)
        photo = (
            f'<img src="{escape(listing.photo_url)}" alt="" loading="lazy" width="320" height="240">'
            if listing.photo_url
            else ""
        )
        meta = (
            f'<span aria-label="{escape(listing.stars_label)}">{escape(listing.stars_text)}</span>'
            if listing.stars
            else ""
        )
        rating = listing.rating
        if rating:
            meta += " · " + escape(
                ngettext(
                    "rated %(rating)s (%(counter)s)",
                    "rated %(rating)s (%(counter)s)",
                    listing.rating_count,
                )
                % {"rating": floatformat(rating, 1), "counter": number_format(listing.rating_count)}
            )
        badges = (
            (featured if listing.is_featured else "")
            + (halal if listing.has_halal else "")
            + ('<span class="badge">BPOM</span>' if listing.has_bpom else "")
        )
        if listing.sold_out:
            buy = sold_out
        else:
            label = (
                escape(gettext("Add %(n)s to cart") % {"n": number_format(listing.min_order)})
                if listing.min_order > 1
                else add
            )
            buy = (
                f'{form_head}<input type="hidden" name="listing" value="{pk}">'
                f'<input type="hidden" name="quantity" value="{listing.min_order}">{next_field}\n'
                f'<button class="btn small" type="submit">{label}</button></form>'
            )
        parts.append(
            f'\n<li class="mk-card" data-listing="{pk}">\n'
            f'<a class="mk-img" href="{url}" tabindex="-1" aria-hidden="true">{photo}</a>\n'
            f'<h2><a href="{url}">{escape(listing.name)}</a></h2>\n'
            f'<p class="mk-price">{escape(format_rupiah(int(listing.price)))}</p>\n'
            f'<p class="mk-meta">{meta}</p>\n'
            f'<p class="mk-meta">{escape(listing.region_name)}</p>\n'
            f"<p>{badges}</p>\n{buy}\n</li>"
        )
    parts.append("</ul>")
    return mark_safe("".join(parts))  # noqa: S308  (every value above is escaped)


def options(choices: Iterable[tuple[object, object]], selected: object) -> SafeString:
    """`<option>`s for a filter's choices (code, label), the one equal to `selected` selected."""
    chosen = str(selected)
    return mark_safe(  # noqa: S308  (every value is escaped)
        "".join(
            f'<option value="{escape(code)}"{" selected" if str(code) == chosen else ""}>'
            f"{escape(label)}</option>"
            for code, label in choices
        )
    )
