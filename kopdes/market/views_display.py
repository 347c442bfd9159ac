"""Display point pages: the public list and a point's shelf, opening a point, the operator's page,
the cashier, the cooperative's consignments, the monthly settlement and each statement (HTML to
print, or XLSX). Each view parses input, calls one service or selector, and renders."""

from __future__ import annotations

import io

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kopdes.core.errors import DomainError, NotFound
from kopdes.core.forms import apply_domain_error
from kopdes.core.paging import paginate
from kopdes.core.policies import PolicyDenied, can, require
from kopdes.core.templatetags.kopdes import rupiah
from kopdes.products.selectors_licences import region_zone

from . import selectors_display as selectors
from . import services_display as services
from .choices import DisplaySettlementStatus, PaymentMethod
from .forms_display import (
    BACK,
    CashierForm,
    ConsignForm,
    DisplayFilterForm,
    DisplayPointEditForm,
    DisplayPointForm,
    MonthForm,
    cashier_lines,
)


def _or_404(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise Http404(str(exc.message)) from None


def payment_label(method: str) -> str:
    return _("QRIS") if method == PaymentMethod.QRIS else _("Cash")


# --- Public -----------------------------------------------------------------------------------


@require_GET
def display_list(request: HttpRequest) -> HttpResponse:
    form = DisplayFilterForm(request.GET or None, provinces=selectors.display_provinces())
    page = paginate(request, selectors.display_point_list(user=request.user, **form.filters()))
    managed = (
        list(selectors.display_points_managed(user=request.user)[:20])
        if request.user.is_authenticated
        else []
    )
    context = {
        "form": form,
        "page": page,
        "managed": managed,
        "may_open": can(request.user, "market.display.manage", None),
        "may_consign": can(request.user, "market.display.cooperative", None),
    }
    return render(request, "market/display/list.html", context)


@require_GET
def display_public(request: HttpRequest, slug: str) -> HttpResponse:
    point = _or_404(selectors.display_point_public, user=request.user, slug=slug)
    context = {
        "point": point,
        "listings": selectors.shelf_public(user=request.user, point=point),
        "may_view": can(request.user, "market.display.view", point),
        "may_operate": can(request.user, "market.display.operate", point),
    }
    return render(request, "market/display/public.html", context)


# --- Opening a point --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def display_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "market.display.manage", None)
    form = DisplayPointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            point = services.display_point_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The display point has been opened."))
            return redirect("market:display_manage", point.slug)
    return render(request, "market/display/create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def display_edit(request: HttpRequest, slug: str) -> HttpResponse:
    point = _or_404(selectors.display_point_get, user=request.user, slug=slug)
    require(request.user, "market.display.manage", point.region)
    fields = ("name", "address", "latitude", "longitude", "commission_percent")
    form = DisplayPointEditForm(request.POST or None, initial={f: getattr(point, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.display_point_update(actor=request.user, point=point, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The display point has been changed."))
            return redirect("market:display_manage", point.slug)
    return render(request, "market/display/edit.html", {"form": form, "point": point})


@login_required
@require_POST
def display_open_close(request: HttpRequest, slug: str) -> HttpResponse:
    """Close the point (POST close=1) or open it again."""
    point = _or_404(selectors.display_point_get, user=request.user, slug=slug)
    try:
        if request.POST.get("close"):
            services.display_point_close(actor=request.user, point=point)
            messages.success(request, _("The display point has been closed."))
        else:
            services.display_point_reopen(actor=request.user, point=point)
            messages.success(request, _("The display point is open again."))
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("market:display_manage", point.slug)


# --- The operator's page ----------------------------------------------------------------------


@login_required
@require_GET
def display_manage(request: HttpRequest, slug: str) -> HttpResponse:
    point = _or_404(selectors.display_point_get, user=request.user, slug=slug)
    levels = selectors.shelf_levels(user=request.user, point=point)
    context = {
        "point": point,
        "zone": region_zone(point.region_id).key,
        "groups": selectors.shelf_by_cooperative(levels),
        "sales": selectors.sales_recent(user=request.user, point=point),
        "consignments": selectors.consignments_recent(user=request.user, point=point),
        "may_operate": can(request.user, "market.display.operate", point),
        "may_settle": can(request.user, "market.display.settle", point),
        "may_manage": can(request.user, "market.display.manage", point.region),
    }
    return render(request, "market/display/manage.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def display_cashier(request: HttpRequest, slug: str) -> HttpResponse:
    point = _or_404(
        selectors.display_point_get, user=request.user, slug=slug, action="market.display.operate"
    )
    form = CashierForm(request.POST or None)
    typed: dict[int, str] = {}
    line_errors: dict[int, str] = {}
    if request.method == "POST":
        lines, typed = cashier_lines(request.POST)
        if form.is_valid():
            try:
                sale = services.display_sale_record(
                    actor=request.user,
                    display_point=point,
                    lines=lines,
                    payment_method=form.cleaned_data["payment_method"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except DomainError as exc:
                for field, errors in exc.fields.items():
                    if field.startswith("listing:") and field[8:].isdigit():
                        line_errors[int(field[8:])] = str(errors[0])
                if not line_errors:
                    apply_domain_error(form, exc)
                else:
                    form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Sale %(number)s recorded: %(total)s, %(method)s.")
                    % {
                        "number": sale.number,
                        "total": rupiah(sale.total),
                        "method": payment_label(sale.payment_method),
                    },
                )
                return redirect("market:display_cashier", point.slug)
    levels = selectors.shelf_levels(
        user=request.user, point=point, action="market.display.operate", positive=True
    )
    items = [
        {
            "level": level,
            "typed": typed.get(level.listing_id, ""),
            "error": line_errors.pop(level.listing_id, ""),
        }
        for level in levels
    ]
    context = {
        "point": point,
        "form": form,
        "items": items,
        "orphan_errors": list(line_errors.values()),
        "today": selectors.sales_today(user=request.user, point=point),
    }
    return render(request, "market/display/cashier.html", context)


# --- The cooperative's side -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def display_cooperative(request: HttpRequest) -> HttpResponse:
    overview = selectors.cooperative_display(user=request.user)
    choices = selectors.consign_choices(user=request.user)
    form = ConsignForm(request.POST or None, choices=choices) if choices.cooperatives else None
    if request.method == "POST":
        if form is None:  # an officer who may read statements but not move goods
            raise PolicyDenied("market.display.consign", user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["direction"] == BACK:
                    services.consign_back(
                        actor=request.user,
                        display_point=data["display_point"],
                        listing=data["listing"],
                        to_location=data["location"],
                        quantity=data["quantity"],
                        note=data["note"],
                    )
                    messages.success(request, _("The goods have been taken back."))
                else:
                    services.consign(
                        actor=request.user,
                        display_point=data["display_point"],
                        listing=data["listing"],
                        from_location=data["location"],
                        quantity=data["quantity"],
                        note=data["note"],
                    )
                    messages.success(request, _("The goods have been consigned to the display point."))
            except DomainError as exc:
                if "to_location" in exc.fields or "from_location" in exc.fields:
                    exc.fields["location"] = exc.fields.pop("to_location", None) or exc.fields.pop(
                        "from_location"
                    )
                apply_domain_error(form, exc)
            else:
                return redirect("market:display_cooperative")
    return render(request, "market/display/cooperative.html", {"overview": overview, "form": form})


# --- Settlement and statements ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def display_settlements(request: HttpRequest, slug: str) -> HttpResponse:
    point = _or_404(selectors.display_point_get, user=request.user, slug=slug, action="market.display.settle")
    months = selectors.months_for(point)
    current = months[0]
    default = months[1] if len(months) > 1 else current  # the month just ended
    try:
        month = services.month_start(request.POST.get("month") or request.GET.get("month") or default)
    except DomainError:
        month = default
    if request.method == "POST":
        try:
            if request.POST.get("action") == "settle":
                settlement = _or_404(
                    selectors.settlement_get, user=request.user, pk=_int(request.POST.get("settlement"))
                )
                if settlement.display_point_id != point.pk:
                    raise Http404()
                services.display_settlement_settle(actor=request.user, settlement=settlement)
                messages.success(
                    request,
                    _("%(cooperative)s has been settled for %(month)s.")
                    % {
                        "cooperative": settlement.cooperative.name,
                        "month": formats.date_format(month, "F Y"),
                    },
                )
            else:
                services.display_settlement_prepare(actor=request.user, display_point=point, month=month)
                messages.success(request, _("The settlement has been prepared. Review it, then settle."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect(f"{request.path}?month={month:%Y-%m}")
    settlements = list(selectors.settlement_list(user=request.user, point=point, month=month))
    context = {
        "point": point,
        "month": month,
        "month_over": month < current,
        "form": MonthForm({"month": f"{month:%Y-%m}"}, months=months),
        "settlements": settlements,
        "preview": []
        if settlements
        else selectors.settlement_preview(user=request.user, point=point, month=month),
        "totals": {
            "gross": sum(s.gross for s in settlements),
            "commission": sum(s.commission for s in settlements),
            "net": sum(s.net for s in settlements),
        },
        "draft": DisplaySettlementStatus.DRAFT,
    }
    return render(request, "market/display/settlements.html", context)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@login_required
@require_GET
def display_statement(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = _or_404(selectors.settlement_get, user=request.user, pk=pk)
    result = selectors.statement(user=request.user, settlement=settlement)
    context = {
        "s": result,
        "zone": region_zone(result.point.region_id).key,
        "may_settle": can(request.user, "market.display.settle", result.point),
        "payment_labels": {PaymentMethod.QRIS: _("QRIS"), PaymentMethod.COD: _("Cash")},
    }
    return render(request, "market/display/statement.html", context)


@login_required
@require_GET
def display_statement_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = _or_404(selectors.settlement_get, user=request.user, pk=pk)
    result = selectors.statement(user=request.user, settlement=settlement)
    body = statement_xlsx(result)
    filename = f"statement-{result.point.slug}-{result.cooperative.slug}-{result.month:%Y-%m}.xlsx"
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def statement_xlsx(result: selectors.Statement) -> bytes:
    """The statement as one sheet: the heading, totals by product, every line, the settlement."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(_("Statement")[:31])
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0"})
    bold_money = workbook.add_format({"num_format": "#,##0", "bold": True})
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 2, 36)
    sheet.set_column(3, 5, 14)
    row = 0
    heading = [
        (_("Statement of display point sales"), ""),
        (_("Display point"), result.point.name),
        (_("Operator"), result.point.operator.name),
        (_("Cooperative"), result.cooperative.name),
        (_("Month"), f"{formats.date_format(result.month, 'F Y')} ({result.zone})"),
        (_("Status"), str(result.settlement.get_status_display())),
    ]
    for label, value in heading:
        sheet.write_string(row, 0, str(label), bold)
        sheet.write_string(row, 1, str(value))
        row += 1
    row += 1
    sheet.write_row(row, 0, [_("Product"), "", "", _("Quantity"), _("Sales (Rp)")], bold)
    row += 1
    for product in result.products:
        sheet.write_string(row, 0, product.name)
        sheet.write_number(row, 3, product.quantity)
        sheet.write_number(row, 4, product.gross, money)
        row += 1
    row += 1
    for label, amount in (
        (_("Gross sales"), result.gross),
        (
            _("Commission (%(percent)s%%)") % {"percent": result.percent}
            if result.percent is not None
            else _("Commission"),
            -result.commission,
        ),
        (_("Due to the cooperative"), result.net),
    ):
        sheet.write_string(row, 0, str(label), bold)
        sheet.write_number(row, 4, amount, bold_money)
        row += 1
    row += 1
    sheet.write_row(
        row,
        0,
        [
            _("Time"),
            _("Sale"),
            _("Product"),
            _("Quantity"),
            _("Unit price (Rp)"),
            _("Total (Rp)"),
            _("Payment"),
        ],
        bold,
    )
    row += 1
    for line in result.lines:
        sheet.write_string(row, 0, line.sold_at.strftime("%Y-%m-%d %H:%M"))
        sheet.write_string(row, 1, line.sale_number)
        sheet.write_string(row, 2, line.name)
        sheet.write_number(row, 3, line.quantity)
        sheet.write_number(row, 4, line.unit_price, money)
        sheet.write_number(row, 5, line.line_total, money)
        sheet.write_string(row, 6, payment_label(line.payment_method))
        row += 1
    workbook.close()
    return out.getvalue()
