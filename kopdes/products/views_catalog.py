"""Web pages of the catalog: village and regency potential, producers, managing products, and the
public product pages. Each view parses input, calls one selector or service, and renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kopdes.core import sections
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.forms import apply_domain_error
from kopdes.core.paging import paginate
from kopdes.core.policies import can, require
from kopdes.core.visitor_cache import cache_for_visitors

from . import selectors_catalog as selectors
from . import services_catalog as services
from .forms_catalog import (
    ManageFilterForm,
    PhotoForm,
    PotentialForm,
    ProducerForm,
    ProductForm,
    PublicFilterForm,
)

PUBLIC_RULE = "products.product.public"


def _or_404(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc.message)) from None


# --- Potential --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def potential_village(request: HttpRequest, code: str) -> HttpResponse:
    village = _or_404(selectors.region_get, code=code, level=4)
    potentials = selectors.potential_list(user=request.user, village=village)
    may_record = can(request.user, "products.potential.record", village)
    form = None
    if may_record:
        form = PotentialForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            image = data.pop("image")
            try:
                potential = services.potential_record(actor=request.user, village=village, **data)
                if image:
                    services.potential_photo_add(actor=request.user, potential=potential, image=image)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The potential has been recorded."))
                return redirect(request.path)
    elif request.method == "POST":
        require(request.user, "products.potential.record", village)
    context = {
        "village": village,
        "potentials": potentials,
        "form": form,
        "regency_code": village.code[:5],
    }
    return render(request, "products/catalog/potential_village.html", context)


@require_GET
def potential_regency(request: HttpRequest, code: str) -> HttpResponse:
    regency = _or_404(selectors.region_get, code=code, level=2)
    view = selectors.regency_potential(user=request.user, regency=regency)
    return render(request, "products/catalog/potential_regency.html", {"regency": regency, "view": view})


# --- Producers --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def producer_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "products.product.create", None)
    cooperatives = selectors.cooperatives_managed(user=request.user)
    form = None
    if cooperatives.exists():
        form = ProducerForm(request.POST or None, cooperatives=cooperatives)
        if request.method == "POST" and form.is_valid():
            try:
                services.producer_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("The producer has been registered."))
                return redirect(request.path)
    page = paginate(request, selectors.producers_for(user=request.user))
    return render(request, "products/catalog/producers.html", {"page": page, "form": form})


# --- Managing products ------------------------------------------------------------------------


@login_required
@require_GET
def product_manage(request: HttpRequest) -> HttpResponse:
    require(request.user, "products.product.create", None)
    form = ManageFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    page = paginate(request, selectors.products_managed(user=request.user, **form.filters()))
    return render(request, "products/catalog/manage.html", {"form": form, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "products.product.create", None)
    producers = selectors.producers_for(user=request.user)
    form = ProductForm(request.POST or None, producers=producers)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(
                actor=request.user, producer=form.cleaned_data["producer"], **form.service_fields()
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The product has been added as a draft. Add photos next."))
            return redirect("products:edit", product.pk)
    return render(
        request, "products/catalog/create.html", {"form": form, "has_producers": producers.exists()}
    )


def _initial(product) -> dict:
    version = product.current_version
    initial = {"category": product.category}
    if version is not None:
        initial.update({name: getattr(version, name) for name in services.VERSION_FIELDS})
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = _or_404(selectors.product_get, user=request.user, pk=pk)
    action = request.POST.get("action", "edit") if request.method == "POST" else ""
    form = ProductForm(request.POST if action == "edit" else None, initial=_initial(product), editing=True)
    photo_form = PhotoForm(
        request.POST if action == "photo" else None, request.FILES if action == "photo" else None
    )
    try:
        if action == "edit" and form.is_valid():
            changed = {name: form.service_fields()[name] for name in form.changed_data}
            services.product_update(actor=request.user, product=product, **changed)
            messages.success(request, _("The product has been saved."))
            return redirect(request.path)
        if action == "photo" and photo_form.is_valid():
            services.product_photo_add(actor=request.user, product=product, **photo_form.cleaned_data)
            messages.success(request, _("The photo has been added."))
            return redirect(request.path)
        if action == "remove_photo":
            photo = _or_404(selectors.photo_get, user=request.user, pk=_int(request.POST.get("photo")))
            if photo.product_id != product.pk:
                raise NotFound()
            services.product_photo_remove(actor=request.user, photo=photo)
            messages.success(request, _("The photo has been removed."))
            return redirect(request.path)
    except NotFound as exc:
        raise Http404(str(exc.message)) from None
    except DomainError as exc:
        apply_domain_error(photo_form if action == "photo" else form, exc)
    context = {
        "product": product,
        "form": form,
        "photo_form": photo_form,
        "photos": product.photos.all(),
        "versions": selectors.version_list(product=product),
    }
    return render(request, "products/catalog/edit.html", context)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- Public pages -----------------------------------------------------------------------------


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    form = PublicFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    page = paginate(request, selectors.products_public(user=request.user, **form.filters()))
    return render(request, "products/catalog/public_list.html", {"form": form, "page": page})


@require_GET
@cache_for_visitors(
    action=PUBLIC_RULE,
    # Sections from other apps (the market's price and stock) move the key on when they change.
    key=lambda slug: f"product:{slug}:{sections.cache_key_for(sections.PRODUCT)}",
    timeout=300,
)
def public(request: HttpRequest, slug: str) -> HttpResponse:
    product = _or_404(selectors.product_public, user=request.user, slug=slug)
    shown = sections.sections_for(sections.PRODUCT, request, product)
    context = {
        "sections": shown,
        "price_elsewhere": any(section.get("replaces_price") for _template, section in shown),
        "product": product,
        "version": product.current_version,
        "producer": product.producer,
        "photos": list(product.photos.all()),
        "licences": list(product.licences.all()),
        "village_url": reverse("regions:detail", args=[product.producer.village_id]),
        "microsite_url": product.cooperative.get_public_url(),
        "may_manage": can(request.user, "products.product.manage", product),
    }
    return render(request, "products/catalog/public.html", context)
