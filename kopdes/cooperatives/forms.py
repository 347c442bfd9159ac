"""Web forms of the cooperative registry. They parse input; the services decide and validate the rest."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kopdes.accounts.identifiers import login_key
from kopdes.accounts.selectors import user_by_phone
from kopdes.core.errors import DomainError
from kopdes.regions.codes import normalize_code
from kopdes.regions.forms import RegionField
from kopdes.regions.models import Region

from . import validators
from .choices import MemberStatus, Position, Scheme, Stage, UnitKind, UnitStatus
from .services import IDENTITY_FIELDS


class DateInput(forms.DateInput):
    """The phone's own date picker; its value is always ISO (yyyy-mm-dd)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class CoordinateField(forms.DecimalField):
    """A latitude or longitude: accepts a decimal comma and more decimals than are kept."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "any"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        number = super().to_python(value)
        if number is None:
            return None
        try:
            return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def _tel(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off", **attrs})


# --- The registry -----------------------------------------------------------------------------


STAGE_FILTER_CHOICES = [("", _("Any stage")), ("none", _("Not started")), *Stage.choices]


class CooperativeFilterForm(forms.Form):
    region = RegionField(label=_("Region"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=STAGE_FILTER_CHOICES, required=False)
    scheme = forms.ChoiceField(
        label=_("Scheme"), choices=[("", _("Any scheme")), *Scheme.choices], required=False
    )
    q = forms.CharField(
        label=_("Name"), max_length=100, required=False, widget=forms.TextInput(attrs={"type": "search"})
    )

    def filters(self) -> dict[str, str]:
        """The selector's filters; a filter the user got wrong is left out (the form shows why)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        region = data.get("region")
        return {
            "region": region.code if region else "",
            "stage": data.get("stage") or "",
            "scheme": data.get("scheme") or "",
            "query": (data.get("q") or "").strip(),
        }


class IdentityForm(forms.Form):
    """A cooperative's identity, shared by the registration and the edit forms."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    scheme = forms.ChoiceField(label=_("Scheme"), choices=Scheme.choices, initial=Scheme.NEW)
    registration_number = forms.CharField(
        label=_("Cooperative ID number (NIK koperasi)"), max_length=40, required=False
    )
    deed_number = forms.CharField(label=_("Notarial deed number"), max_length=60, required=False)
    deed_date = forms.DateField(label=_("Notarial deed date"), required=False, widget=DateInput)
    ahu_number = forms.CharField(label=_("AHU decree number"), max_length=80, required=False)
    ahu_date = forms.DateField(label=_("AHU decree date"), required=False, widget=DateInput)
    nib = forms.CharField(
        label=_("NIB"), max_length=30, required=False, help_text=_("13 digits."), widget=_tel()
    )
    npwp = forms.CharField(
        label=_("NPWP"),
        max_length=30,
        required=False,
        help_text=_("15 digits (01.234.567.8-901.000) or 16 digits."),
        widget=_tel(),
    )
    bank_name = forms.CharField(label=_("Bank"), max_length=60, required=False)
    bank_account_number = forms.CharField(label=_("Account number"), max_length=30, required=False)
    bank_account_name = forms.CharField(label=_("Account name"), max_length=120, required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    latitude = CoordinateField(label=_("Latitude"), help_text=_("e.g. -0.4321 (south is negative)."))
    longitude = CoordinateField(label=_("Longitude"), help_text=_("e.g. 116.9876."))
    phone = forms.CharField(
        label=_("Phone / WhatsApp"),
        max_length=30,
        required=False,
        help_text=_("e.g. 0812-3456-7890"),
        widget=_tel(),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    qris_payload = forms.CharField(
        label=_("Static QRIS"),
        required=False,
        max_length=1000,
        help_text=_("The text inside the cooperative's static QRIS from its bank (starts with 000201)."),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("Profile"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def identity(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in IDENTITY_FORM_FIELDS}


# The identity fields the registry forms edit: exactly those the service accepts.
IDENTITY_FORM_FIELDS = IDENTITY_FIELDS


class CooperativeCreateForm(IdentityForm):
    village = RegionField(label=_("Village (seat of the cooperative)"), min_level=4)
    shared_villages = forms.CharField(
        label=_("Small villages sharing this cooperative (optional)"),
        required=False,
        max_length=500,
        help_text=_(
            "Only for villages under 500 people: their codes separated by commas, "
            "e.g. 64.02.06.1002, 64.02.06.1003."
        ),
    )

    field_order = ["village", "name", "scheme", "shared_villages"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = _(
            "Leave empty to use the official name: Koperasi Desa/Kelurahan Merah Putih <village>."
        )

    def propose(self, name: str) -> None:
        """Show the name the registry proposes for the chosen village."""
        field = self.fields["name"]
        field.widget.attrs["placeholder"] = name
        field.help_text = _("Leave empty to use the official name: %(name)s.") % {"name": name}

    def clean_shared_villages(self) -> list[Region]:
        raw = self.cleaned_data.get("shared_villages") or ""
        codes: list[str] = []
        for part in raw.replace(";", ",").replace("\n", ",").split(","):
            part = part.strip()
            if not part:
                continue
            code = normalize_code(part)
            if not code:
                raise forms.ValidationError(_("%(code)s is not a village code.") % {"code": part[:20]})
            if code not in codes:
                codes.append(code)
        if len(codes) > 20:
            raise forms.ValidationError(_("At most 20 villages can share one cooperative."))
        found = {r.code: r for r in Region.objects.filter(code__in=codes, level=4)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("Unknown village codes: %(codes)s. A village code has four parts, e.g. 64.02.06.1002.")
                % {"codes": ", ".join(unknown)}
            )
        return [found[c] for c in codes]

    def identity(self) -> dict:
        # Only what was filled in: the service proposes the name when it is empty.
        return {k: v for k, v in super().identity().items() if v not in ("", None)}


class CooperativeEditForm(IdentityForm):
    name = forms.CharField(label=_("Name"), max_length=200)


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=150, required=False)


# --- The formation lifecycle ------------------------------------------------------------------


class StageRecordForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices, widget=forms.HiddenInput)
    happened_on = forms.DateField(label=_("Date it took place"), widget=DateInput)
    evidence = forms.FileField(
        label=_("Evidence (minutes, deed, decree)"),
        required=False,
        help_text=_("PDF, JPEG or PNG, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def add_error(self, field, error):
        # The stage is a hidden field, whose errors a form template does not show: put them on top.
        super().add_error(None if field == "stage" else field, error)

    def clean_evidence(self):
        try:
            return validators.clean_evidence(self.cleaned_data.get("evidence"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class RollbackForm(ReasonForm):
    to_stage = forms.ChoiceField(label=_("Back to stage"), choices=())

    field_order = ["to_stage", "reason"]

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = [(s, Stage(s).label) for s in stages]  # type: ignore[attr-defined]


# --- Officers and members ---------------------------------------------------------------------


class OfficerAppointForm(forms.Form):
    phone = forms.CharField(
        label=_("The person's phone number"),
        max_length=30,
        help_text=_("The phone number of their Kopdes account, e.g. 0812-3456-7890."),
        widget=_tel(),
    )
    position = forms.ChoiceField(label=_("Position"), choices=Position.choices)
    term_start = forms.DateField(label=_("Term starts"), widget=DateInput, initial=timezone.localdate)
    term_end = forms.DateField(label=_("Term ends (optional)"), required=False, widget=DateInput)

    def clean_phone(self):
        raw = self.cleaned_data["phone"]
        key = login_key(raw)
        if not key or "@" in key:
            raise forms.ValidationError(_("Enter a valid Indonesian phone number, e.g. 0812-3456-7890."))
        user = user_by_phone(phone=key)
        if user is None:
            raise forms.ValidationError(
                _(
                    "No account has this phone number. Create the person's account first "
                    "(regional admins do it at %(url)s), then appoint them."
                )
                % {"url": reverse("accounts:user_create")}
            )
        self.cleaned_data["user"] = user
        return raw

    def appointment(self) -> dict:
        data = self.cleaned_data
        return {
            "user": data["user"],
            "position": data["position"],
            "term_start": data["term_start"],
            "term_end": data.get("term_end"),
        }


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name or full NIK"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *MemberStatus.choices], required=False
    )


class MemberAddForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK"),
        max_length=30,
        help_text=_("16 digits, from the member's identity card (KTP)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    phone = forms.CharField(
        label=_("Phone / WhatsApp (optional)"),
        max_length=30,
        required=False,
        help_text=_("If the member has a Kopdes account with this number, it is linked to the record."),
        widget=_tel(),
    )
    village = RegionField(
        label=_("Village (optional: the cooperative's village)"), min_level=4, required=False
    )
    joined_on = forms.DateField(label=_("Joined on"), widget=DateInput, initial=timezone.localdate)

    def member(self) -> dict:
        data = dict(self.cleaned_data)
        data["user"] = _account_with_phone(data.get("phone") or "")
        return data


def _account_with_phone(raw: str):
    """The account whose login is this phone number, if any: the member then sees their own record."""
    return user_by_phone(phone=raw)


class MemberEditForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    phone = forms.CharField(label=_("Phone / WhatsApp"), max_length=30, required=False, widget=_tel())
    status = forms.ChoiceField(label=_("Status"), choices=MemberStatus.choices)


# --- Business units ---------------------------------------------------------------------------


class UnitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    name = forms.CharField(
        label=_("Name (optional)"),
        max_length=120,
        required=False,
        help_text=_("e.g. Gerai Sembako Jahab; for a unit from local potential, what it does."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=UnitStatus.choices, initial=UnitStatus.PLANNED)
    address = forms.CharField(label=_("Location"), max_length=255, required=False)
    opened_on = forms.DateField(
        label=_("Opening date"),
        required=False,
        widget=DateInput,
        help_text=_("Set to today when the unit starts operating and no date is given."),
    )
    latitude = CoordinateField(label=_("Latitude"))
    longitude = CoordinateField(label=_("Longitude"))
