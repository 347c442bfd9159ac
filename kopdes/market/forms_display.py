"""Forms of the display points pages: opening a point, consigning goods, the cashier, the list's
filter and the settlement month. They parse input; the services decide."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from kopdes.accounts.choices import OrgKind
from kopdes.accounts.models import Organization
from kopdes.regions.forms import RegionField

from .choices import DisplayKind
from .services_display import CASH, MAX_COMMISSION, MAX_QUANTITY

QTY_PREFIX = "qty_"
SEND, BACK = "send", "back"


class DisplayFilterForm(forms.Form):
    def __init__(self, *args, provinces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"] = forms.ChoiceField(
            label=_("Kind"), required=False, choices=[("", _("All kinds")), *DisplayKind.choices]
        )
        self.fields["region"] = forms.ChoiceField(
            label=_("Province"),
            required=False,
            choices=[("", _("All provinces"))] + [(p.code, p.name) for p in provinces],
        )

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"kind": data.get("kind", ""), "region": data.get("region", "")}


class DisplayPointForm(forms.Form):
    operator_org = forms.ModelChoiceField(
        label=_("Operator"),
        queryset=Organization.objects.filter(kind=OrgKind.DISPLAY).order_by("name"),
        help_text=_("The organisation that runs the showcase (registered as a display point operator)."),
    )
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind of place"), choices=DisplayKind.choices)
    region = RegionField(label=_("Region"), min_level=2)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    latitude = forms.DecimalField(label=_("Latitude"), max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label=_("Longitude"), max_digits=9, decimal_places=6, required=False)
    commission_percent = forms.IntegerField(
        label=_("Operator's commission (%)"), min_value=0, max_value=MAX_COMMISSION, initial=10
    )


class DisplayPointEditForm(forms.Form):
    """What an admin of the region may change on an open point: not its operator, kind or region
    (a point somewhere else is a new point)."""

    name = forms.CharField(label=_("Name"), max_length=150)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    latitude = forms.DecimalField(label=_("Latitude"), max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label=_("Longitude"), max_digits=9, decimal_places=6, required=False)
    commission_percent = forms.IntegerField(
        label=_("Operator's commission (%)"),
        min_value=0,
        max_value=MAX_COMMISSION,
        help_text=_("A new rate applies to the months not settled yet."),
    )


def _picker(label, objects, name_of, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, coerce=int, choices=[("", "—")] + [(o.pk, name_of(o)) for o in objects], **kwargs
    )


class ConsignForm(forms.Form):
    """Send goods to a display point, or take them back. The choices are the officer's own
    cooperatives' listings and locations, read once by the selector."""

    direction = forms.ChoiceField(
        label=_("What"),
        choices=[(SEND, _("Send goods to the display point")), (BACK, _("Take goods back"))],
        initial=SEND,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        several = len(choices.cooperatives) > 1

        def own(obj) -> str:
            return f"{obj.cooperative.name} — {obj.name}" if several else obj.name

        self._objects = {
            "display_point": {p.pk: p for p in choices.points},
            "listing": {x.pk: x for x in choices.listings},
            "location": {x.pk: x for x in choices.locations},
        }
        self.fields["display_point"] = _picker(
            _("Display point"), choices.points, lambda p: f"{p.name} ({p.region.name})"
        )
        self.fields["listing"] = _picker(_("Product"), choices.listings, own)
        self.fields["location"] = _picker(
            _("Outlet or warehouse"),
            choices.locations,
            own,
            help_text=_("Where the goods leave from, or return to."),
        )
        self.fields["quantity"] = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
        self.fields["note"] = forms.CharField(label=_("Note"), max_length=255, required=False)

    def clean(self):
        data = super().clean() or {}
        for name, objects in self._objects.items():
            if data.get(name) is not None:
                data[name] = objects[data[name]]
        return data


class CashierForm(forms.Form):
    payment_method = forms.ChoiceField(
        label=_("Payment"),
        choices=[(CASH, _("Cash")), ("qris", _("QRIS"))],
        initial=CASH,
        widget=forms.RadioSelect,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, min_length=8, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)


def cashier_lines(data) -> tuple[list[tuple[int, int]], dict[int, str]]:
    """The lines the cashier entered (fields `qty_<listing id>`), and every value as typed."""
    lines, typed = [], {}
    for name, value in data.items():
        if not name.startswith(QTY_PREFIX):
            continue
        try:
            listing_id = int(name[len(QTY_PREFIX) :])
        except ValueError:
            continue
        typed[listing_id] = str(value)[:6]
        try:
            quantity = int(value or 0)
        except (TypeError, ValueError):
            quantity = -1  # the service refuses it with a clear message
        if quantity:
            lines.append((listing_id, quantity))
    return lines, typed


class MonthForm(forms.Form):
    def __init__(self, *args, months=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"] = forms.ChoiceField(
            label=_("Month"),
            required=False,
            choices=[(f"{m:%Y-%m}", formats.date_format(m, "F Y")) for m in months],
        )
