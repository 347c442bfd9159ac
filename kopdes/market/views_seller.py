"""The seller's side of orders: a cooperative's order board, an order's page with its steps, the
courier fee, the treasurer's "payment received" and refunds paid back, and the settlement record
with its exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_stubs_ext import StrOrPromise
from lokal import format_rupiah

from kopdes.accounts.choices import OFFICER_ROLES
from kopdes.accounts.scopes import org_ids
from kopdes.cooperatives.models import Cooperative
from kopdes.cooperatives.selectors import cooperative_public
from kopdes.core.errors import DomainError, NotFound
from kopdes.core.forms import apply_domain_error
from kopdes.core.paging import paginate
from kopdes.core.policies import can, require
from kopdes.products.selectors_licences import region_zone

from . import selectors_orders as sel
from . import services_orders as services
from .choices import DeliveryMethod, OrderStatus, PaymentKind, RefundStatus
from .forms_seller import MonthForm, PaymentForm, QuoteForm, RefundDoneForm, StepForm
from .models import Order
from .whatsapp import whatsapp_link

# What each step is called on the seller's buttons; a pickup order is "ready" rather than
# "shipped", and "handed over" rather than "received".
STEP_LABELS: dict[str, StrOrPromise] = {
    OrderStatus.PROCESSING: gettext_lazy("Start preparing"),
    OrderStatus.SHIPPED: gettext_lazy("Mark as shipped"),
    OrderStatus.RECEIVED: gettext_lazy("Mark as received"),
    OrderStatus.COMPLETED: gettext_lazy("Complete the order"),
    OrderStatus.CANCELLED: gettext_lazy("Cancel the order"),
    OrderStatus.RETURNED: gettext_lazy("Record a return"),
}
PICKUP_LABELS: dict[str, StrOrPromise] = {
    OrderStatus.SHIPPED: gettext_lazy("Ready for pickup"),
    OrderStatus.RECEIVED: gettext_lazy("Handed over to the buyer"),
}
BOARD_ACTION = "market.orders.board"


def _cooperative(request: HttpRequest, slug: str, action: str = BOARD_ACTION) -> Cooperative:
    cooperative = cooperative_public(slug=slug)
    require(request.user, action, cooperative)
    return cooperative


def _order(request: HttpRequest, cooperative: Cooperative, number: str) -> Order:
    order = sel.order_get(user=request.user, number=number)
    if order.cooperative_id != cooperative.pk:
        raise NotFound()
    return order


# --- Board ------------------------------------------------------------------------------------


@login_required
@require_GET
def order_boards(request: HttpRequest) -> HttpResponse:
    """The menu's "Orders": straight to the board of the officer's cooperative, or a choice."""
    ids = org_ids(request.user, *OFFICER_ROLES)
    cooperatives = list(Cooperative.objects.filter(organization_id__in=ids).order_by("name")[:50])
    if len(cooperatives) == 1:
        return redirect("market:order_board", slug=cooperatives[0].slug)
    return render(request, "market/seller/boards.html", {"cooperatives": cooperatives})


@login_required
@require_GET
def order_board(request: HttpRequest, slug: str) -> HttpResponse:
    cooperative = _cooperative(request, slug)
    status = request.GET.get("status", "")
    if status not in OrderStatus.values:
        status = ""
    counts = sel.order_board_counts(user=request.user, cooperative=cooperative)
    # Statuses with no orders are left out (bar the one asked for): fewer buttons on a phone.
    tabs = [("", _("All"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0))
        for value, label in OrderStatus.choices
        if counts.get(value) or value == status
    ]
    page = paginate(request, sel.order_board(user=request.user, cooperative=cooperative, status=status))
    for order in page.object_list:
        order.needs_quote = (
            order.status == OrderStatus.CREATED
            and order.delivery_method == DeliveryMethod.COURIER
            and not order.shipping_confirmed
        )
    return render(
        request,
        "market/seller/board.html",
        {
            "cooperative": cooperative,
            "tabs": tabs,
            "status": status,
            "page": page,
            "may_settle": can(request.user, "market.settlement.view", cooperative),
            "zone": region_zone(cooperative.village_id),
        },
    )


# --- One order --------------------------------------------------------------------------------


def _buyer_message(order: Order) -> str:
    return _("Hello %(name)s, this is %(seller)s about your order %(number)s (%(total)s): %(status)s.") % {
        "name": order.contact_name,
        "seller": order.cooperative.name,
        "number": order.number,
        "total": format_rupiah(order.total),
        "status": order.get_status_display().lower(),
    }


def _steps(order: Order, bound: StepForm | None) -> list[dict]:
    labels: dict[str, StrOrPromise] = {
        **STEP_LABELS,
        **(PICKUP_LABELS if order.delivery_method == DeliveryMethod.PICKUP else {}),
    }
    steps = []
    for step in services.allowed_steps(order, services.SELLER):
        form = bound if bound is not None and bound.data.get("to_status") == step else None
        form = form or StepForm(initial={"to_status": step}, auto_id=f"step-{step}-%s")
        reason = step in (OrderStatus.CANCELLED, OrderStatus.RETURNED)
        if reason:
            form.fields["note"].widget.attrs["required"] = True
        steps.append(
            {
                "to": step,
                "label": labels.get(step, step),
                "form": form,
                "reason": reason,
                "tracking": step == OrderStatus.SHIPPED and order.delivery_method != DeliveryMethod.PICKUP,
                "restock": step == OrderStatus.RETURNED,
                "danger": step in (OrderStatus.CANCELLED, OrderStatus.RETURNED),
            }
        )
    return steps


def _render_order(
    request: HttpRequest,
    cooperative: Cooperative,
    order: Order,
    *,
    step_form: StepForm | None = None,
    quote_form: QuoteForm | None = None,
    payment_form: PaymentForm | None = None,
    refund_form: tuple[int, RefundDoneForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    detail = sel.order_detail(order)
    user = request.user
    may_process = can(user, "market.order.process", order)
    may_confirm = can(user, "market.payment.confirm", order)
    needs_quote = order.status == OrderStatus.CREATED and not order.shipping_confirmed
    # Money may be confirmed while some is due; on a cancelled order it is recorded and refunded.
    may_pay = (
        may_confirm
        and order.shipping_confirmed
        and order.paid_amount < order.total
        and order.status != OrderStatus.RETURNED
        and not (order.status == OrderStatus.CANCELLED and order.paid_amount)
    )
    expected = order.total if order.status == OrderStatus.CANCELLED else order.balance_due
    steps = _steps(order, step_form) if may_process else []
    # A refused form whose section is no longer shown (the order moved on) says why at the top.
    stray = [
        form
        for form, shown in (
            (step_form, any(step["form"] is step_form for step in steps)),
            (quote_form, may_process and needs_quote),
            (payment_form, may_pay),
        )
        if form is not None and form.errors and not shown
    ]
    stray_errors = [message for form in stray for messages_ in form.errors.values() for message in messages_]
    refunds = [
        {
            "refund": payment,
            "form": refund_form[1]
            if refund_form and refund_form[0] == payment.pk
            else RefundDoneForm(initial={"back": "order"}, auto_id=f"refund-{payment.pk}-%s"),
        }
        for payment in detail["payments"]
        if payment.kind == PaymentKind.REFUND and payment.refund_status == RefundStatus.DUE
    ]
    return render(
        request,
        "market/seller/order.html",
        {
            "cooperative": cooperative,
            "order": order,
            **detail,
            "steps": steps,
            "stray_errors": stray_errors,
            "quote_form": (quote_form or QuoteForm()) if may_process and needs_quote else None,
            "needs_quote": needs_quote,
            "payment_form": (payment_form or PaymentForm(initial={"amount": expected})) if may_pay else None,
            "expected": expected,
            "refunds_due": refunds,
            "may_confirm": may_confirm,
            "whatsapp": whatsapp_link(order.contact_phone, _buyer_message(order)),
            "weight_grams": sum(line.weight_grams for line in detail["lines"]),
            "may_settle": can(user, "market.settlement.view", cooperative),
            "zone": region_zone(cooperative.village_id),
        },
        status=status,
    )


@login_required
@require_GET
def seller_order(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    cooperative = _cooperative(request, slug)
    return _render_order(request, cooperative, _order(request, cooperative, number))


def _done(cooperative: Cooperative, order: Order) -> HttpResponse:
    return redirect("market:seller_order", slug=cooperative.slug, number=order.number)


@login_required
@require_POST
def seller_order_step(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    cooperative = _cooperative(request, slug)
    order = _order(request, cooperative, number)
    require(request.user, "market.order.process", order)
    form = StepForm(request.POST, auto_id=f"step-{request.POST.get('to_status', '')}-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_transition(
                actor=request.user,
                order=order,
                to_status=data["to_status"],
                party=services.SELLER,
                note=data["note"].strip(),
                tracking_number=data["tracking_number"],
                restock=data["restock"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request, _("The order is now: %(status)s.") % {"status": order.get_status_display().lower()}
            )
            return _done(cooperative, order)
    order.refresh_from_db()
    return _render_order(request, cooperative, order, step_form=form, status=400)


@login_required
@require_POST
def seller_order_quote(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    cooperative = _cooperative(request, slug)
    order = _order(request, cooperative, number)
    require(request.user, "market.order.process", order)
    form = QuoteForm(request.POST)
    if form.is_valid():
        try:
            order = services.shipping_quote(actor=request.user, order=order, fee=form.cleaned_data["fee"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                _("Delivery fee saved. The buyer can now pay %(total)s.")
                % {"total": format_rupiah(order.total)},
            )
            return _done(cooperative, order)
    order.refresh_from_db()
    return _render_order(request, cooperative, order, quote_form=form, status=400)


@login_required
@require_POST
def seller_payment_confirm(request: HttpRequest, slug: str, number: str) -> HttpResponse:
    cooperative = _cooperative(request, slug)
    order = _order(request, cooperative, number)
    require(request.user, "market.payment.confirm", order)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            _payment, outcome = services.payment_confirm(
                actor=request.user,
                order=order,
                reference=form.cleaned_data["reference"].strip(),
                amount=form.cleaned_data["amount"],
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            text = {
                "paid": _("Payment recorded: the order is paid."),
                "partial": _("Payment recorded: part of the total is still due."),
                "late": _("Payment recorded on a cancelled order: a refund to the buyer is now due."),
            }.get(outcome, _("Payment recorded."))
            messages.success(request, text)
            return _done(cooperative, order)
    order.refresh_from_db()
    return _render_order(request, cooperative, order, payment_form=form, status=400)


@login_required
@require_POST
def seller_refund_done(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cooperative = _cooperative(request, slug, "market.settlement.view")
    refund = sel.refunds_due(user=request.user, cooperative=cooperative).filter(pk=pk).first()
    form = RefundDoneForm(request.POST)
    back = request.POST.get("back")
    if refund is None:
        messages.error(request, _("This refund is not due."))
        return redirect("market:settlement", slug=cooperative.slug)
    refund.order.cooperative = cooperative
    require(request.user, "market.payment.confirm", refund.order)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for errors in form.errors.values() for m in errors))
    else:
        try:
            services.refund_mark_done(
                actor=request.user, refund=refund, reference=form.cleaned_data["reference"].strip()
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("Refund of %(amount)s recorded as paid back.") % {"amount": format_rupiah(refund.amount)},
            )
    if back == "order":
        return _done(cooperative, refund.order)
    return redirect("market:settlement", slug=cooperative.slug)


# --- Settlement record ------------------------------------------------------------------------


def _month_window(cooperative: Cooperative, month: dt.date | None) -> tuple[dt.datetime, dt.datetime] | None:
    """The month as instants of the cooperative's local time (WIB, WITA or WIT)."""
    if month is None:
        return None
    zone = region_zone(cooperative.village_id)
    start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
    return start, following


def _settlement_window(request: HttpRequest, cooperative: Cooperative):
    form = MonthForm(request.GET)
    month = form.cleaned_data.get("month") if form.is_valid() else None
    window = _month_window(cooperative, month)
    everything = sel.settlement_entries(user=request.user, cooperative=cooperative)
    entries = everything
    if window:
        entries = entries.filter(created_at__gte=window[0], created_at__lt=window[1])
    return form, month, window, everything, entries


@login_required
@require_GET
def settlement(request: HttpRequest, slug: str) -> HttpResponse:
    cooperative = _cooperative(request, slug, "market.settlement.view")
    form, month, window, everything, entries = _settlement_window(request, cooperative)
    sums = entries.aggregate(
        inflow=Sum("amount", filter=Q(amount__gt=0)), outflow=Sum("amount", filter=Q(amount__lt=0))
    )
    inflow, outflow = sums["inflow"] or 0, sums["outflow"] or 0
    if window:
        closing = everything.filter(created_at__lt=window[1]).aggregate(total=Sum("amount"))["total"] or 0
    else:
        closing = sel.settlement_balance(user=request.user, cooperative=cooperative)
    page = paginate(request, entries)
    rows = list(page.object_list)
    if rows:
        # The balance after each entry: the closing balance less every newer entry of the window.
        first = rows[0]
        newer = (
            entries.filter(
                Q(created_at__gt=first.created_at) | Q(created_at=first.created_at, id__gt=first.id)
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        running = closing - newer
        for entry in rows:
            entry.balance = running
            entry.magnitude = abs(entry.amount)
            running -= entry.amount
    refunds = list(
        sel.refunds_due(user=request.user, cooperative=cooperative).order_by("recorded_at", "id")[:100]
    )
    for refund in refunds:
        refund.order.cooperative = cooperative  # known already: spares a query per refund
    may_refund = bool(refunds) and can(request.user, "market.payment.confirm", refunds[0].order)
    return render(
        request,
        "market/seller/settlement.html",
        {
            "cooperative": cooperative,
            "form": form,
            "month": month,
            "month_value": month.strftime("%Y-%m") if month else "",
            "page": page,
            "rows": rows,
            "inflow": inflow,
            "outflow": -outflow,
            "opening": closing - inflow - outflow,
            "closing": closing,
            "refunds": [
                {
                    "refund": r,
                    "form": RefundDoneForm(initial={"back": "settlement"}, auto_id=f"refund-{r.pk}-%s"),
                }
                for r in refunds
            ],
            "may_refund": may_refund,
            "zone": region_zone(cooperative.village_id),
        },
    )


EXPORT_HEADER = ("date", "kind", "order", "note", "amount", "balance")


def _export_rows(request: HttpRequest, cooperative: Cooperative):
    """(month, rows): the window's entries oldest first, each with the balance after it."""
    _form, month, window, everything, entries = _settlement_window(request, cooperative)
    opening = 0
    if window:
        opening = everything.filter(created_at__lt=window[0]).aggregate(total=Sum("amount"))["total"] or 0
    zone = region_zone(cooperative.village_id)

    def rows():
        balance = opening
        for entry in entries.order_by("created_at", "id").iterator(chunk_size=2000):
            balance += entry.amount
            yield (
                timezone.localtime(entry.created_at, zone).strftime("%Y-%m-%d %H:%M"),
                str(entry.get_kind_display()),
                entry.order.number if entry.order else "",
                entry.note,
                entry.amount,
                balance,
            )

    return month, opening, rows()


def _export_headers() -> list[str]:
    return [_("Date"), _("Kind"), _("Order"), _("Note"), _("Amount (Rp)"), _("Balance (Rp)")]


@login_required
@require_GET
def settlement_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    cooperative = _cooperative(request, slug, "market.settlement.view")
    month, opening, rows = _export_rows(request, cooperative)
    name = f"penyelesaian-{cooperative.slug}-{month.strftime('%Y-%m') if month else 'semua'}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_export_headers())
        writer.writerow(["", _("Opening balance"), "", "", "", opening])
        writer.writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    import xlsxwriter  # only this export needs it

    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet(_("Settlement")[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0"})
    sheet.set_column(0, 0, 17)
    sheet.set_column(1, 1, 26)
    sheet.set_column(2, 2, 18)
    sheet.set_column(3, 3, 40)
    sheet.set_column(4, 5, 14)
    sheet.write_row(0, 0, _export_headers(), bold)
    sheet.write_row(1, 0, ["", _("Opening balance"), "", ""])
    sheet.write_number(1, 5, opening, money)
    for index, row in enumerate(rows, start=2):
        sheet.write_row(index, 0, row[:4])
        sheet.write_number(index, 4, row[4], money)
        sheet.write_number(index, 5, row[5], money)
    book.close()
    response = HttpResponse(
        output.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
