"""Web forms of the seller's side: order steps, the courier fee, payments received, refunds paid,
the settlement month. They parse input (rupiah as people write it); the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kopdes.products.forms_catalog import RupiahField

from .choices import OrderStatus


class StepForm(forms.Form):
    """One step of the order (the button pressed says which)."""

    to_status = forms.ChoiceField(choices=OrderStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Reason"), max_length=255, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=60, required=False)
    restock = forms.BooleanField(label=_("Put the items back in stock"), required=False, initial=True)

    def clean(self):
        data = super().clean() or {}
        # The service names a reason for an unpaid order itself; the seller always gives one here,
        # since the buyer reads it.
        if data.get("to_status") == OrderStatus.CANCELLED and not data.get("note"):
            self.add_error("note", _("Say why the order is cancelled."))
        if data.get("to_status") == OrderStatus.RETURNED and not data.get("note"):
            self.add_error("note", _("Say why the order is returned."))
        return data


class QuoteForm(forms.Form):
    fee = RupiahField(label=_("Delivery fee (Rp)"))


class PaymentForm(forms.Form):
    amount = RupiahField(label=_("Amount received (Rp)"))
    reference = forms.CharField(
        label=_("Reference"),
        max_length=80,
        required=False,
        help_text=_("The bank's transfer reference, the QRIS transaction id, or a receipt number."),
    )


class RefundDoneForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=80, required=False)
    back = forms.ChoiceField(
        choices=[("order", "order"), ("settlement", "settlement")], required=False, widget=forms.HiddenInput
    )


class MonthForm(forms.Form):
    month = forms.CharField(required=False, max_length=7)

    def clean_month(self) -> dt.date | None:
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return None
        try:
            return dt.date.fromisoformat(f"{text}-01")
        except ValueError:
            raise forms.ValidationError(_("Choose a month."), code="month") from None
