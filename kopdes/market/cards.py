"""The catalog's product cards and its filter form as HTML, made in Python.

The cards are most of the catalog page: 24 of them, each some thirty template nodes, took three
quarters of the page's rendering time through the template engine. The same markup made here
with plain string joins costs a fraction of that. Every value is escaped; the texts are the
template's own messages (the same msgids, so their translations apply) and the numbers shown are
localised as the template localised them (1.234 in Indonesian). The filter form's six selects,
three checkboxes and their labels were, after the cards, half of the page's template work; its
fixed words are kept per language (`_form_words`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from html import escape as _escape

from django.template.defaultfilters import floatformat
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext
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
    stars_shown: dict[int, str] = {}  # by the number of stars: six at most
    for listing in items:
        pk = str(listing.pk)
        url = escape(listing.url)
        photo = (
            f'<img src="{escape(listing.photo_url)}" alt="" loading="lazy" width="320" height="240">'
            if listing.photo_url
            else ""
        )
        meta = stars_shown.get(listing.stars)
        if meta is None:
            meta = stars_shown[listing.stars] = (
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


@lru_cache(maxsize=8)
def _form_words(language: str | None) -> dict[str, str]:
    """The filter form's fixed words in the active language (`language` is its code: the key),
    escaped. The template's own msgids, each in a call of its own for makemessages."""
    words = {
        "search_label": gettext("Search products"),
        "search_hint": gettext("Search: kopi, madu, tenun…"),
        "search": gettext("Search"),
        "invalid": gettext("Some fields are not valid."),
        "filter": gettext("Filter and sort"),
        "category": gettext("Category"),
        "all": gettext("All"),
        "province": gettext("Province"),
        "regency": gettext("Regency"),
        "province_first": gettext("Choose a province first"),
        "line": gettext("Line"),
        "stars": gettext("Minimum stars"),
        "any": gettext("Any"),
        "price_min": gettext("Lowest price (Rp)"),
        "price_max": gettext("Highest price (Rp)"),
        "sort": gettext("Sort by"),
        "halal": gettext("Halal certified"),
        "bpom": gettext("BPOM registered"),
        "in_stock": gettext("In stock only"),
        "show": gettext("Show"),
        "clear": gettext("Clear all"),
    }
    return {key: escape(text) for key, text in words.items()}


def filter_form(
    *,
    action: str,
    query,
    values: Mapping[str, str],
    options: Mapping[str, str],
    errors: Mapping[str, list[str]],
    regencies: bool,
) -> SafeString:
    """The catalog's search and filter form: `values` are the fields as given (or the parsed
    query's), `options` each select's `<option>`s (see `options`), `errors` the messages by field;
    the regency select is enabled when the province has `regencies`."""
    w = _form_words(get_language())

    def errs(name: str) -> str:
        return "".join(f'<p class="field-error">{escape(message)}</p>' for message in errors.get(name, ()))

    def select(name: str, blank: str) -> str:
        return (
            f'<div class="field"><label for="f-{name}">{w[name]}</label><select id="f-{name}" name="{name}">'
            f'<option value="">{w[blank]}</option>{options[name]}</select>{errs(name)}</div>\n'
        )

    def price(name: str) -> str:
        return (
            f'<div class="field"><label for="f-{name.replace("_", "-")}">{w[name]}</label><input '
            f'id="f-{name.replace("_", "-")}" type="number" name="{name}" min="0" inputmode="numeric" '
            f'value="{escape(values.get(name) or "")}">{errs(name)}</div>\n'
        )

    def check(name: str) -> str:
        checked = " checked" if values.get(name) == "1" else ""
        box = f'<input type="checkbox" name="{name}" value="1"{checked}>'
        return f'<label class="mk-check">{box} {w[name]}</label>\n'

    if regencies:
        regency = (
            f'<select id="f-regency" name="regency"><option value="">{w["all"]}</option>'
            f"{options['regency']}</select>"
        )
    else:
        regency = (
            f'<select id="f-regency" name="regency" disabled><option value="">{w["province_first"]}'
            "</option></select>"
        )
    narrowed = (
        errors
        or query.category
        or query.province
        or query.line
        or query.min_stars
        or query.halal
        or query.bpom
        or query.in_stock
        or query.price_min is not None
        or query.price_max is not None
    )
    action = escape(action)
    return mark_safe(  # noqa: S308  (every value is escaped)
        f'<form method="get" action="{action}" role="search" class="mk-filter" id="catalog-filter"'
        " novalidate>\n"
        '<div class="search-row">\n'
        f'<input type="search" name="q" value="{escape(values.get("q") or "")}" maxlength="200" '
        f'aria-label="{w["search_label"]}" placeholder="{w["search_hint"]}">\n'
        f'<button class="btn" type="submit">{w["search"]}</button>\n'
        "</div>\n"
        + (f'<div class="notice" role="alert"><p>{w["invalid"]}</p></div>' if errors else "")
        + "\n"
        + errs("q")
        + f"\n<details{' open' if narrowed else ''}>\n"
        f'<summary class="btn secondary small">{w["filter"]}</summary>\n'
        '<div class="mk-grid">\n'
        + select("category", "all")
        + select("province", "all")
        + f'<div class="field"><label for="f-regency">{w["regency"]}</label>{regency}'
        f"{errs('regency')}</div>\n"
        + select("line", "all")
        + select("stars", "any")
        + price("price_min")
        + price("price_max")
        + f'<div class="field"><label for="f-sort">{w["sort"]}</label><select id="f-sort" name="sort">'
        f"{options['sort']}</select>{errs('sort')}</div>\n"
        + check("halal")
        + check("bpom")
        + check("in_stock")
        + "</div>\n"
        f'<p><button class="btn" type="submit">{w["show"]}</button> <a href="{action}">{w["clear"]}</a></p>\n'
        "</details>\n</form>"
    )
