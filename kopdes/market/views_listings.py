"""The seller's side of the shop: listings and their stock, outlets and warehouses, delivery zones,
seller settings, the feeds out; and the storefront sections on the product page and the
cooperative's microsite. Each view parses input, calls one selector or service, and renders."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kopdes.core.errors import DomainError, NotFound
from kopdes.core.forms import apply_domain_error
from kopdes.core.paging import paginate
from kopdes.core.policies import can

from . import feeds, services_seller
from . import selectors_listings as selectors
from .forms_listings import (
    DeliveryZoneForm,
    ListingCreateForm,
    ListingFields,
    LocationForm,
    SellerSettingsForm,
    StockAdjustForm,
)
from .models.listings import refresh_totals
from .services_stock import listing_create, listing_update, location_create, stock_adjust


def _or_404(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc.message)) from None


def _cooperative(request: HttpRequest, slug: str, action: str = "market.listing.view_own"):
    return _or_404(selectors.cooperative_for_seller, user=request.user, slug=slug, action=action)


def _rights(user, cooperative) -> dict:
    return {
        "may_manage": can(user, "market.listing.manage", cooperative),
        "may_adjust": can(user, "market.stock.adjust", cooperative),
        "may_download": can(user, "market.feed.download", cooperative),
    }


# --- Listings ---------------------------------------------------------------------------------


@login_required
@require_GET
def seller_home(request: HttpRequest) -> HttpResponse:
    """The shortcut from the menu: straight to the shop of the one cooperative one serves."""
    cooperatives = list(selectors.seller_cooperatives(user=request.user)[:50])
    if len(cooperatives) == 1:
        return redirect("market:listings", cooperatives[0].slug)
    return render(request, "market/listings/home.html", {"cooperatives": cooperatives})


@login_required
@require_http_methods(["GET", "POST"])
def listings(request: HttpRequest, slug: str) -> HttpResponse:
    action = "market.listing.manage" if request.method == "POST" else "market.listing.view_own"
    cooperative = _cooperative(request, slug, action)
    rights = _rights(request.user, cooperative)
    form = None
    if rights["may_manage"]:
        products = selectors.products_to_list(user=request.user, cooperative=cooperative)
        form = ListingCreateForm(request.POST or None, products=products)
        if request.method == "POST" and form.is_valid():
            try:
                listing = listing_create(
                    actor=request.user, product=form.cleaned_data["product"], **form.service_fields()
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The product is listed. Add its stock next."))
                # Straight to the stock form: a listing sells nothing until it has stock.
                return redirect(
                    reverse("market:listing_stock", args=[cooperative.slug, listing.pk]) + "#adjust"
                )
    page = paginate(request, selectors.listings_for(user=request.user, cooperative=cooperative))
    context = {"cooperative": cooperative, "page": page, "form": form, **rights}
    return render(request, "market/listings/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def listing_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cooperative = _cooperative(request, slug, "market.listing.manage")
    listing = _or_404(selectors.listing_get, user=request.user, cooperative=cooperative, pk=pk)
    initial = {name: getattr(listing, name) for name in ("price", "weight_grams", "min_order", "is_active")}
    form = ListingFields(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            listing_update(actor=request.user, listing=listing, **changed)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The listing has been saved."))
            return redirect("market:listings", cooperative.slug)
    context = {"cooperative": cooperative, "listing": listing, "form": form}
    return render(request, "market/listings/edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def listing_stock(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    action = "market.stock.adjust" if request.method == "POST" else "market.listing.view_own"
    cooperative = _cooperative(request, slug, action)
    listing = _or_404(selectors.listing_get, user=request.user, cooperative=cooperative, pk=pk)
    rights = _rights(request.user, cooperative)
    form = None
    if rights["may_adjust"]:
        form = StockAdjustForm(
            request.POST or None, locations=selectors.adjustable_locations(cooperative=cooperative)
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                stock_adjust(
                    actor=request.user,
                    listing=listing,
                    location=data["location"],
                    delta=data["delta"],
                    note=data["note"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The stock has been changed."))
                return redirect(request.path)
        refresh_totals(listing)
    context = {
        "cooperative": cooperative,
        "listing": listing,
        "rows": selectors.stock_rows(listing=listing),
        "form": form,
        "page": paginate(request, selectors.movements_for(listing=listing)),
        **rights,
    }
    return render(request, "market/listings/stock.html", context)


# --- Places, delivery, settings ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def locations(request: HttpRequest, slug: str) -> HttpResponse:
    action = request.POST.get("action", "") if request.method == "POST" else ""
    cooperative = _cooperative(
        request, slug, "market.listing.manage" if action else "market.listing.view_own"
    )
    rights = _rights(request.user, cooperative)
    form = LocationForm(request.POST if action == "create" else None) if rights["may_manage"] else None
    try:
        if action == "create" and form is not None and form.is_valid():
            location_create(actor=request.user, cooperative=cooperative, **form.cleaned_data)
            messages.success(request, _("The place has been added."))
            return redirect(request.path)
        if action in ("deactivate", "activate"):
            location = selectors.location_get(
                user=request.user, cooperative=cooperative, pk=request.POST.get("location")
            )
            services_seller.location_set_active(
                actor=request.user, location=location, active=action == "activate"
            )
            messages.success(request, _("The place has been saved."))
            return redirect(request.path)
    except NotFound as exc:
        raise Http404(str(exc.message)) from None
    except DomainError as exc:
        if form is not None and action == "create":
            apply_domain_error(form, exc)
        else:
            messages.error(request, str(exc.message))
            return redirect(request.path)
    context = {
        "cooperative": cooperative,
        "locations": list(selectors.locations_for(user=request.user, cooperative=cooperative)),
        "form": form,
        **rights,
    }
    return render(request, "market/listings/locations.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def zones(request: HttpRequest, slug: str) -> HttpResponse:
    action = request.POST.get("action", "") if request.method == "POST" else ""
    cooperative = _cooperative(
        request, slug, "market.listing.manage" if action else "market.listing.view_own"
    )
    rights = _rights(request.user, cooperative)
    form = DeliveryZoneForm(request.POST if action == "set" else None) if rights["may_manage"] else None
    try:
        if action == "set" and form is not None and form.is_valid():
            services_seller.delivery_zone_set(
                actor=request.user, cooperative=cooperative, **form.cleaned_data
            )
            messages.success(request, _("The delivery zone has been saved."))
            return redirect(request.path)
        if action == "remove":
            zone = selectors.zone_get(user=request.user, cooperative=cooperative, pk=request.POST.get("zone"))
            services_seller.delivery_zone_remove(actor=request.user, zone=zone)
            messages.success(request, _("The delivery zone has been removed."))
            return redirect(request.path)
    except NotFound as exc:
        raise Http404(str(exc.message)) from None
    except DomainError as exc:
        if form is not None and action == "set":
            apply_domain_error(form, exc)
        else:
            messages.error(request, str(exc.message))
            return redirect(request.path)
    context = {
        "cooperative": cooperative,
        "zones": list(selectors.zones_for(user=request.user, cooperative=cooperative)),
        "form": form,
        **rights,
    }
    return render(request, "market/listings/zones.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def seller_settings(request: HttpRequest, slug: str) -> HttpResponse:
    cooperative = _cooperative(
        request, slug, "market.listing.manage" if request.method == "POST" else "market.listing.view_own"
    )
    rights = _rights(request.user, cooperative)
    current = selectors.seller_settings_for(user=request.user, cooperative=cooperative)
    initial = {name: getattr(current, name) for name in services_seller.SETTINGS_FIELDS}
    form = SellerSettingsForm(request.POST or None, initial=initial)
    if not rights["may_manage"]:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services_seller.seller_settings_update(
                actor=request.user, cooperative=cooperative, **form.cleaned_data
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The settings have been saved."))
            return redirect(request.path)
    context = {"cooperative": cooperative, "form": form, "saved": current.pk is not None, **rights}
    return render(request, "market/listings/settings.html", context)


# --- Feeds out --------------------------------------------------------------------------------

FEED_FORMATS = ("xlsx", "csv", "json")


@login_required
@require_GET
def feed(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    if fmt not in FEED_FORMATS:
        raise Http404()
    cooperative = _cooperative(request, slug, "market.feed.download")
    rows = selectors.feed_listings(user=request.user, cooperative=cooperative)
    items = feeds.feed_items(rows, cooperative=cooperative, absolute=request.build_absolute_uri)
    name = f"kopdes-{cooperative.slug}"
    if fmt == "xlsx":
        response = HttpResponse(feeds.feed_xlsx(items), content_type=feeds.XLSX_TYPE)
    elif fmt == "csv":
        response = HttpResponse(feeds.feed_csv(items), content_type=feeds.CSV_TYPE)
    else:
        link = request.build_absolute_uri(cooperative.get_public_url())
        body = feeds.feed_json(items, cooperative=cooperative, link=link)
        response = HttpResponse(json.dumps(body, ensure_ascii=False, indent=1), content_type=feeds.JSON_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Storefront sections (registered by nav_listings) -----------------------------------------


def product_section(request: HttpRequest, product) -> dict | None:
    """The buying part of a product page: price, stock, minimum, add to cart, seller, reviews.
    The same for every visitor (the page is cached for them)."""
    listing, reviews = selectors.product_offer(product=product)
    if listing is None:
        return None
    return {
        "listing": listing,
        "reviews": reviews,
        "in_stock": listing.stock_online >= listing.min_order,
        "seller": product.cooperative,
        "next": product.get_absolute_url(),
        "replaces_price": listing.sellable,
    }


def cooperative_section(request: HttpRequest, cooperative) -> dict | None:
    """The cooperative's products for sale on its microsite."""
    shown = selectors.storefront_listings(cooperative=cooperative)
    if not shown:
        return None
    return {
        "listings": shown,
        "next": cooperative.get_public_url(),
        "more": len(shown) >= selectors.STOREFRONT_SIZE,
        "catalog_url": reverse("products:public_list"),
    }
