"""Web forms of the seller's listing, stock, place, delivery and settings pages. They parse what
people type (rupiah the Indonesian way, signed quantities); the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kopdes.products.forms_catalog import RupiahField
from kopdes.products.models import Product
from kopdes.regions.forms import RegionField

from .choices import LocationKind
from .models import Location
from .services_seller import MAX_PAYMENT_HOURS
from .services_stock import MAX_MIN_ORDER


def _number(**attrs) -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "numeric", **attrs})


class ListingFields(forms.Form):
    price = RupiahField(label=_("Selling price (rupiah)"), help_text=_("e.g. 25.000 or 1,5 jt"))
    weight_grams = forms.IntegerField(
        label=_("Weight with packaging (grams)"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        required=False,
        widget=_number(),
        help_text=_("Used for courier rates."),
    )
    min_order = forms.IntegerField(
        label=_("Minimum order"),
        min_value=1,
        max_value=MAX_MIN_ORDER,
        initial=1,
        required=False,
        widget=_number(),
    )
    is_active = forms.BooleanField(label=_("On sale"), required=False, initial=True)


class ListingCreateForm(ListingFields):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), empty_label=None)

    field_order = ["product", "price", "weight_grams", "min_order", "is_active"]

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        field.queryset = products  # type: ignore[attr-defined]
        field.label_from_instance = lambda p: f"{p.name} ({p.get_status_display()})"  # type: ignore[attr-defined]

    def service_fields(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "product" and value is not None
        }


class StockAdjustForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Place"), queryset=Location.objects.none(), empty_label=None)
    delta = forms.IntegerField(
        label=_("Change"),
        help_text=_("Positive to add (e.g. 20), negative to remove (e.g. -3)."),
        widget=forms.NumberInput(attrs={"inputmode": "text"}),
    )
    note = forms.CharField(
        label=_("Reason"),
        max_length=255,
        # Required by the service, which says so in the user's words; the form lets it through.
        required=False,
        help_text=_("Required: e.g. new production, damaged, counted on the shelf."),
    )

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]


class LocationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (LocationKind.OUTLET, LocationKind.OUTLET.label),
            (LocationKind.WAREHOUSE, LocationKind.WAREHOUSE.label),
        ],
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    village = RegionField(label=_("Village"), min_level=4)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)


class DeliveryZoneForm(forms.Form):
    region = RegionField(
        label=_("Area"),
        min_level=2,
        help_text=_("A regency, a district or a village: every address inside it pays this fee."),
    )
    fee = RupiahField(label=_("Delivery fee (rupiah)"), help_text=_("e.g. 10.000; 0 for free delivery"))
    name = forms.CharField(
        label=_("Name"), max_length=120, required=False, help_text=_("Empty: the area's name.")
    )


class SellerSettingsForm(forms.Form):
    courier_enabled = forms.BooleanField(label=_("Ship by courier (you confirm the rate)"), required=False)
    cod_enabled = forms.BooleanField(label=_("Accept cash on delivery or at pickup"), required=False)
    transfer_enabled = forms.BooleanField(label=_("Accept bank transfer"), required=False)
    payment_hours = forms.IntegerField(
        label=_("Hours an order may stay unpaid"),
        min_value=1,
        max_value=MAX_PAYMENT_HOURS,
        widget=_number(),
        help_text=_("Unpaid orders are cancelled after this and their stock is released."),
    )
