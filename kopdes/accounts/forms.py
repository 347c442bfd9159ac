from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kopdes.regions.forms import RegionField

from .choices import OrgKind, Role
from .models import Organization


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Phone number or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email", "autofocus": True}),
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # AuthenticationForm copies User.phone's length (16) onto this box; an email or a
        # phone number typed with spaces ("+62 812-3456-7890") needs more room.
        self.fields["username"].max_length = 254  # type: ignore[attr-defined]
        self.fields["username"].widget.attrs["maxlength"] = "254"

    error_messages = {
        "invalid_login": _(
            "The phone number/email or the password is wrong. Note that the password is case-sensitive."
        ),
        "inactive": _("This account is suspended. Contact your regional admin."),
    }


class RegisterForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=30,
        help_text=_("e.g. 0812-3456-7890"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(label=_("Email (optional)"), required=False)
    password = forms.CharField(
        label=_("Password"),
        min_length=8,
        max_length=64,
        help_text=_("8 to 64 characters; not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class UserCreateForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    region = RegionField(label=_("Region"), min_level=1)
    password = forms.CharField(
        label=_("Initial password (optional)"),
        required=False,
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[c for c in Role.choices if c[0] != Role.BUYER])
    region = RegionField(label=_("Region (for regional roles)"), required=False)
    organization = forms.ModelChoiceField(
        label=_("Organisation (for cooperative, producer, partner and lender roles)"),
        queryset=Organization.objects.none(),
        required=False,
    )

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class OrganizationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    region = RegionField(label=_("Region"), min_level=2)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What it is for, e.g. 'Dinas Koperasi sync'."),
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=730, initial=365)


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
