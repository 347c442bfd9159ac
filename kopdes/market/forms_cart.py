"""The buyer's forms: checkout (contact, delivery and payment per cooperative, address) and a review."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lokal import format_rupiah

from kopdes.accounts.identifiers import normalize_phone
from kopdes.core.errors import DomainError
from kopdes.regions.forms import RegionField

from .choices import DeliveryMethod, PaymentMethod
from .selectors_cart import CartGroup, SellerOptions
from .services_orders import CheckoutRequest, DeliveryChoice

PAYMENT_LABELS: dict[str, Any] = {
    PaymentMethod.QRIS: gettext_lazy("QRIS: scan with any bank or e-wallet app"),
    PaymentMethod.TRANSFER: gettext_lazy("Bank transfer"),
    PaymentMethod.COD: gettext_lazy("Cash at pickup or on delivery (not with a courier)"),
}
# Where the checkout service reports a problem -> the form field that shows it.
SERVICE_FIELDS = {
    "contact_name": "contact_name",
    "contact_phone": "contact_phone",
    "contact_email": "contact_email",
    "address_village_code": "address",
    "address_postal_code": "postal_code",
    "address_line": "address_line",
    "idempotency_key": None,
    "cart": None,
}


def _delivery_field(cooperative_id: int) -> str:
    return f"delivery_{cooperative_id}"


def _payment_field(cooperative_id: int) -> str:
    return f"payment_{cooperative_id}"


def _pickup_value(location_id: int) -> str:
    return f"pickup-{location_id}"


class CheckoutForm(forms.Form):
    contact_name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    contact_phone = forms.CharField(
        label=gettext_lazy("Phone / WhatsApp"),
        max_length=32,
        help_text=gettext_lazy("The cooperative contacts you on this number, e.g. 0812-3456-7890."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("Email (optional)"),
        required=False,
        help_text=gettext_lazy("We send the order's link here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address = RegionField(label=gettext_lazy("Delivery address: village"), required=False, min_level=4)
    postal_code = forms.CharField(
        label=gettext_lazy("Postal code"),
        max_length=5,
        required=False,
        help_text=gettext_lazy("Filled in from the village; change it if yours differs."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    address_line = forms.CharField(
        label=gettext_lazy("Street, house number, RT/RW"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note for the seller (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, groups: list[CartGroup], options: dict[int, SellerOptions], **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("idempotency_key"):
            # Made once when the form is shown: a double click or a retried POST carries the same key.
            self.initial["idempotency_key"] = uuid.uuid4().hex
        self.groups = groups
        self.options = options
        self.village = village = self._village()
        for group in groups:
            option = options[group.cooperative.pk]
            name = _delivery_field(group.cooperative.pk)
            self.fields[name] = forms.ChoiceField(
                label=_("Delivery from %(seller)s") % {"seller": group.cooperative.name},
                choices=self._delivery_choices(option, village),
                widget=forms.RadioSelect,
            )
            # Each cooperative is paid on its own, in the ways it takes.
            methods = option.payment_methods
            self.fields[_payment_field(group.cooperative.pk)] = forms.ChoiceField(
                label=_("Payment to %(seller)s") % {"seller": group.cooperative.name},
                choices=[(m, PAYMENT_LABELS[m]) for m in methods],
                widget=forms.RadioSelect,
            )
            for field_name in (name, _payment_field(group.cooperative.pk)):
                choices = self.fields[field_name].choices  # type: ignore[attr-defined]
                if len(choices) == 1:  # the only way: chosen already
                    self.fields[field_name].initial = choices[0][0]

    # --- What the page shows ------------------------------------------------------------------

    def sellers(self) -> list[dict]:
        """For the template: each cooperative's part of the cart with its delivery and payment fields."""
        village = self.village
        rows = []
        for group in self.groups:
            option = self.options[group.cooperative.pk]
            zone = option.zone_for(village)
            rows.append(
                {
                    "group": group,
                    "field": self[_delivery_field(group.cooperative.pk)],
                    "payment": self[_payment_field(group.cooperative.pk)],
                    "options": option,
                    "zone": zone,
                    "no_zone": village is not None and option.zones and zone is None,
                }
            )
        return rows

    def _village(self):
        """The village chosen for the address, if any (bound or initial), for fees and the postal code."""
        try:
            value = self["address"].value()
            return self.fields["address"].clean(value)
        except ValidationError:
            return None

    def _delivery_choices(self, option: SellerOptions, village) -> list[tuple[str, str]]:
        choices = []
        for outlet in option.outlets:
            place = outlet.address or outlet.village.name
            choices.append(
                (
                    _pickup_value(outlet.pk),
                    _("Pick up at %(outlet)s (%(place)s): free") % {"outlet": outlet.name, "place": place},
                )
            )
        if option.zones:
            zone = option.zone_for(village)
            if zone is not None:
                label = _("Delivery by the cooperative: %(fee)s") % {"fee": format_rupiah(zone.fee)}
            elif village is not None:
                label = _("Delivery by the cooperative: not to this village")
            else:
                fees = sorted({z.fee for z in option.zones})
                areas = ", ".join(z.region.name for z in option.zones[:3])
                fee = format_rupiah(fees[0])
                if len(fees) > 1:
                    fee = f"{fee} - {format_rupiah(fees[-1])}"
                label = _("Delivery by the cooperative: %(fee)s (%(areas)s)") % {"fee": fee, "areas": areas}
            choices.append((DeliveryMethod.LOCAL.value, label))
        if option.courier:
            choices.append(
                (
                    DeliveryMethod.COURIER.value,
                    _("Courier: the cooperative tells you the fee after you order, before you pay"),
                )
            )
        return choices

    # --- Checks ---------------------------------------------------------------------------------

    def clean_contact_name(self) -> str:
        return self.cleaned_data["contact_name"].strip()

    def clean_contact_phone(self) -> str:
        return normalize_phone(self.cleaned_data["contact_phone"])

    def clean_postal_code(self) -> str:
        postal = (self.cleaned_data.get("postal_code") or "").strip()
        if postal and not (len(postal) == 5 and postal.isascii() and postal.isdigit()):
            raise ValidationError(_("Enter a five-digit postal code."), code="invalid")
        return postal

    def clean(self):
        super().clean()
        data = self.cleaned_data
        methods = {
            group.cooperative.pk: data.get(_delivery_field(group.cooperative.pk)) or ""
            for group in self.groups
        }
        needs_address = any(m in (DeliveryMethod.LOCAL, DeliveryMethod.COURIER) for m in methods.values())
        village = data.get("address")
        if needs_address:
            if village is None and "address" not in self.errors:
                self.add_error("address", _("Choose the village of the delivery address."))
            if not (data.get("address_line") or "").strip():
                self.add_error("address_line", _("Enter the street address."))
            if village is not None and not data.get("postal_code"):
                if village.postal_code:
                    data["postal_code"] = village.postal_code
                else:
                    self.add_error("postal_code", _("Enter a five-digit postal code."))
        for group in self.groups:
            coop_id = group.cooperative.pk
            outside = village is not None and self.options[coop_id].zone_for(village) is None
            if methods[coop_id] == DeliveryMethod.LOCAL and outside:
                self.add_error(
                    _delivery_field(coop_id),
                    _("%(seller)s does not deliver to this village; choose pickup or a courier.")
                    % {"seller": group.cooperative.name},
                )
            if (
                data.get(_payment_field(coop_id)) == PaymentMethod.COD
                and methods[coop_id] == DeliveryMethod.COURIER
            ):
                self.add_error(
                    _payment_field(coop_id),
                    _("Cash is taken only at pickup or on the cooperative's own delivery."),
                )
        return data

    def checkout_request(self) -> CheckoutRequest:
        data = self.cleaned_data
        deliveries = {}
        for group in self.groups:
            value = data[_delivery_field(group.cooperative.pk)]
            paid_by = data[_payment_field(group.cooperative.pk)]
            if value.startswith("pickup-"):
                deliveries[group.cooperative.pk] = DeliveryChoice(
                    method=DeliveryMethod.PICKUP,
                    pickup_location_id=int(value.removeprefix("pickup-")),
                    payment_method=paid_by,
                )
            else:
                deliveries[group.cooperative.pk] = DeliveryChoice(method=value, payment_method=paid_by)
        needs_address = any(d.method != DeliveryMethod.PICKUP for d in deliveries.values())
        village = data.get("address")
        return CheckoutRequest(
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data.get("contact_email") or "",
            payment_method="",  # each cooperative's own, in its delivery choice
            deliveries=deliveries,
            address_village_code=village.code if (village is not None and needs_address) else "",
            address_postal_code=(data.get("postal_code") or "") if needs_address else "",
            address_line=(data.get("address_line") or "").strip() if needs_address else "",
            note=(data.get("note") or "").strip(),
        )

    def apply_error(self, error: DomainError) -> None:
        """Show the checkout service's refusal by the field it concerns (a delivery per cooperative);
        a listing's problem and the rest go on top."""
        on_top = not error.fields
        for key, messages in (error.fields or {}).items():
            target = SERVICE_FIELDS.get(key)
            kind, _sep, ident = key.partition(":")
            if kind == "delivery" and ident.isdigit():
                target = _delivery_field(int(ident))
            elif kind == "payment" and ident.isdigit():
                target = _payment_field(int(ident))
            if target in self.fields:
                for message in messages:
                    self.add_error(target, message)
            else:
                on_top = True
        if on_top:
            self.add_error(None, error.message)


class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("Stars"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=gettext_lazy("Your review (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def initial_for(user, last_order=None) -> dict:
    """What the checkout form starts with for a logged-in buyer: their contact, their last address."""
    initial: dict = {}
    if user is not None and user.is_authenticated:
        initial.update(
            contact_name=user.full_name, contact_phone=user.phone or "", contact_email=user.email or ""
        )
    if last_order is not None and last_order.address_village_id:
        initial.update(
            address=last_order.address_village_id,
            postal_code=last_order.address_postal_code,
            address_line=last_order.address_line,
        )
    return initial
