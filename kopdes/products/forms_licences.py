"""Forms of the licences area: a licence, a featured designation, a province target."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import LicenceStatus, LicenceType


class DateInput(forms.DateInput):
    input_type = "date"


class LicenceForm(forms.Form):
    licence_type = forms.ChoiceField(label=_("Licence"), choices=LicenceType.choices)
    status = forms.ChoiceField(label=_("Status"), choices=LicenceStatus.choices)
    number = forms.CharField(label=_("Number"), max_length=60, required=False)
    issuer = forms.CharField(label=_("Issuer"), max_length=120, required=False)
    issued_on = forms.DateField(label=_("Issued on"), required=False, widget=DateInput)
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty if it does not expire."),
    )
    document = forms.FileField(
        label=_("Document (PDF, JPEG or PNG, at most 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class DesignateForm(forms.Form):
    product = forms.TypedChoiceField(label=_("Curated product"), coerce=int, choices=())

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101  (for the type checker)
        field.choices = [(p.pk, p.name) for p in products]


class TargetForm(forms.Form):
    per_regency_per_month = forms.IntegerField(
        label=_("Featured products per regency per month"), min_value=0, max_value=100
    )


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2020, max_value=2100, required=False)
