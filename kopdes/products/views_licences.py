"""Web pages of the licences area: a product's licences and "ready for market", licences due
soon (with the officers' WhatsApp), and the featured-product boards of a province and a regency."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kopdes.core.errors import DomainError
from kopdes.core.forms import apply_domain_error
from kopdes.core.paging import paginate
from kopdes.core.policies import can, require

from . import selectors_licences as sel
from . import services_licences as services
from .choices import ProductStatus
from .forms_licences import DesignateForm, LicenceForm, TargetForm, YearForm
from .models import Product


@login_required
@require_http_methods(["GET", "POST"])
def licences(request: HttpRequest, pk: int) -> HttpResponse:
    product = sel.product_for_licences(user=request.user, pk=pk)
    may_manage = can(request.user, "products.licences.manage", product)
    form = None
    if may_manage:
        form = LicenceForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.licence_set(actor=request.user, product=product, **form.cleaned_data)
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Licence saved."))
                return redirect("products:licences", pk=product.pk)
    elif request.method == "POST":
        require(request.user, "products.licences.manage", product)
    today = sel.local_today(product.village_id)
    overview = sel.licence_overview(user=request.user, product=product, on_date=today)
    return render(
        request,
        "products/licences/licences.html",
        {
            "product": product,
            "form": form,
            "today": today,
            "missing_labels": sel.describe_groups(overview["missing"]),
            "required_labels": sel.describe_groups(overview["required"]),
            "may_mark_ready": may_manage and product.status == ProductStatus.CURATED,
            **overview,
        },
    )


@login_required
def licence_document(request: HttpRequest, pk: int) -> FileResponse:
    licence = sel.licence_get(user=request.user, pk=pk)
    if not licence.document:
        raise Http404
    try:
        handle = licence.document.open("rb")
    except OSError:
        raise Http404 from None
    return FileResponse(handle, filename=(licence.document.name or "").rsplit("/", 1)[-1])


@login_required
@require_POST
def mark_ready(request: HttpRequest, pk: int) -> HttpResponse:
    product = sel.product_for_licences(user=request.user, pk=pk, action="products.ready.mark")
    try:
        services.product_mark_ready(actor=request.user, product=product)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The product is ready for market."))
    return redirect("products:licences", pk=product.pk)


@login_required
def licences_due(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = sel.licences_due(user=request.user, on_date=today)
    page = paginate(request, rows)
    officers = sel.officers_of(sorted({lic.product.cooperative.organization_id for lic in page.object_list}))
    items = [
        {
            "licence": lic,
            "days": (lic.expires_on - today).days,
            "officers": officers.get(lic.product.cooperative.organization_id, []),
        }
        for lic in page.object_list
    ]
    return render(request, "products/licences/due.html", {"page": page, "items": items, "today": today})


def _year(request: HttpRequest, default: int) -> int:
    form = YearForm(request.GET)
    return (form.cleaned_data.get("year") if form.is_valid() else None) or default


@require_http_methods(["GET", "POST"])
def board_province(request: HttpRequest, code: str) -> HttpResponse:
    province = sel.region_get(code, 1)
    require(request.user, "products.boards.view", province)
    target_form = None
    if can(request.user, "products.targets.set", province):
        target_form = TargetForm(
            request.POST or None, initial={"per_regency_per_month": sel.target_for(province.code)}
        )
        if request.method == "POST" and target_form.is_valid():
            try:
                services.target_set(actor=request.user, province=province, **target_form.cleaned_data)
            except DomainError as error:
                apply_domain_error(target_form, error)
            else:
                messages.success(request, _("Target saved."))
                return redirect("products:board_province", code=province.code)
    elif request.method == "POST":
        require(request.user, "products.targets.set", province)
    year = _year(request, sel.local_today(province.code).year)
    data = sel.board(user=request.user, region=province, year=year)
    return render(request, "products/licences/board.html", {**data, "target_form": target_form})


@require_http_methods(["GET", "POST"])
def board_regency(request: HttpRequest, code: str) -> HttpResponse:
    regency = sel.region_get(code, 2)
    require(request.user, "products.boards.view", regency)
    designate_form = None
    if can(request.user, "products.featured.designate", regency):
        month = sel.local_month(regency.code)
        candidates = (
            Product.objects.filter(
                regency_code=regency.code, status__in=[ProductStatus.CURATED, ProductStatus.READY]
            )
            .exclude(featured__month=month)
            .order_by("name")[:300]
        )
        designate_form = DesignateForm(request.POST or None, products=candidates)
        if request.method == "POST" and designate_form.is_valid():
            product = Product.objects.get(pk=designate_form.cleaned_data["product"])
            try:
                services.featured_designate(actor=request.user, product=product, regency=regency)
            except DomainError as error:
                apply_domain_error(designate_form, error)
            else:
                messages.success(request, _("Featured for this month."))
                return redirect("products:board_regency", code=regency.code)
    elif request.method == "POST":
        require(request.user, "products.featured.designate", regency)
    year = _year(request, sel.local_today(regency.code).year)
    data = sel.board(user=request.user, region=regency, year=year, with_products=True)
    return render(
        request,
        "products/licences/board_regency.html",
        {**data, "row": data["rows"][0], "designate_form": designate_form},
    )
