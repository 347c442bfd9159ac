"""Web forms of the catalog. They parse input (rupiah as people write it); the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from lokal import parse_rupiah

from kopdes.cooperatives.forms import DateInput
from kopdes.cooperatives.models import Cooperative
from kopdes.regions.forms import RegionField

from .choices import Category, Line, ProcessingLevel, ProducerKind, ProductStatus, Sector
from .models import Producer

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class RupiahField(forms.Field):
    """A price as Indonesians write it: "25.000", "25000", "Rp 25.000", "1,5 jt"."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "40"})

    def to_python(self, value):
        if isinstance(value, int):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        parsed = parse_rupiah(text[:40])
        if parsed is None:
            raise forms.ValidationError(_("Write the price in rupiah, e.g. 25.000 or 1,5 jt."), code="rupiah")
        return int(parsed.amount)

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value:,}".replace(",", ".")
        return value


class PotentialForm(forms.Form):
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    commodity = forms.CharField(label=_("Commodity"), max_length=80)
    yearly_volume = forms.CharField(
        label=_("Yearly volume"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    unit = forms.CharField(
        label=_("Unit"), max_length=20, required=False, help_text=_("ton, kg, ekor, lembar…")
    )
    season = forms.CharField(label=_("Season"), max_length=80, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    surveyed_on = forms.DateField(label=_("Surveyed on"), required=False, widget=DateInput())
    image = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )


class ProducerForm(forms.Form):
    cooperative = forms.ModelChoiceField(label=_("Cooperative"), queryset=Cooperative.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=ProducerKind.choices)
    name = forms.CharField(
        label=_("Name"), max_length=200, required=False, help_text=_("Left empty for the cooperative itself.")
    )
    village = RegionField(
        label=_("Village"), required=False, min_level=4, help_text=_("Empty: the cooperative's own village.")
    )
    special_needs_school = forms.BooleanField(label=_("Special-needs school (SLB)"), required=False)

    def __init__(self, *args, cooperatives=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = cooperatives if cooperatives is not None else Cooperative.objects.none()
        self.fields["cooperative"].queryset = queryset  # type: ignore[attr-defined]


class ProductForm(forms.Form):
    producer = forms.ModelChoiceField(label=_("Producer"), queryset=Producer.objects.none())
    name = forms.CharField(label=_("Name"), max_length=150)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    price = RupiahField(label=_("Price (rupiah)"), help_text=_("e.g. 25.000 or 1,5 jt"))
    unit = forms.CharField(label=_("Unit"), max_length=30, initial="pcs")
    net_content = forms.CharField(label=_("Net content"), max_length=40, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    story = forms.CharField(
        label=_("Product story"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    monthly_capacity = forms.IntegerField(label=_("Monthly capacity"), min_value=0, required=False)
    processing_level = forms.ChoiceField(
        label=_("Processing level"), choices=ProcessingLevel.choices, initial=ProcessingLevel.PROCESSED
    )
    local_material_percent = forms.IntegerField(label=_("Local raw material (%)"), required=False)
    packaging = forms.CharField(label=_("Packaging"), max_length=120, required=False)
    shelf_life_days = forms.IntegerField(label=_("Shelf life (days)"), required=False)
    hs_code = forms.CharField(
        label=_("HS code"), max_length=14, required=False, help_text=_("4 to 10 digits.")
    )

    def __init__(self, *args, producers=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["producer"]
        else:
            queryset = producers if producers is not None else Producer.objects.none()
            self.fields["producer"].queryset = queryset  # type: ignore[attr-defined]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("producer", None)
        data["monthly_capacity"] = data.get("monthly_capacity") or 0
        data["local_material_percent"] = data.get("local_material_percent") or 0
        return data


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=150, required=False)


def _optional(choices, label):
    return [("", label), *choices]


class ManageFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), choices=_optional(Category.choices, _("Any category")), required=False
    )
    line = forms.ChoiceField(label=_("Line"), choices=_optional(Line.choices, _("Any line")), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=_optional(ProductStatus.choices, _("Any status")), required=False
    )
    q = forms.CharField(
        label=_("Name"), max_length=100, required=False, widget=forms.TextInput(attrs={"type": "search"})
    )

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return {
            "category": data.get("category", ""),
            "line": data.get("line", ""),
            "status": data.get("status", ""),
            "query": data.get("q", ""),
        }


STAR_CHOICES = [
    ("", _("Any stars")),
    *((str(n), "★" * n) for n in range(5, 0, -1)),
    ("0", _("Not yet curated")),
]


class PublicFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), choices=_optional(Category.choices, _("Any category")), required=False
    )
    line = forms.ChoiceField(label=_("Line"), choices=_optional(Line.choices, _("Any line")), required=False)
    stars = forms.ChoiceField(label=_("Stars"), choices=STAR_CHOICES, required=False)
    regency = RegionField(label=_("Regency/city"), required=False, min_level=2, max_level=2)
    q = forms.CharField(
        label=_("Name"), max_length=100, required=False, widget=forms.TextInput(attrs={"type": "search"})
    )

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        regency = data.get("regency")
        return {
            "category": data.get("category", ""),
            "line": data.get("line", ""),
            "stars": data.get("stars", ""),
            "regency": regency.code if regency else "",
            "query": data.get("q", ""),
        }
