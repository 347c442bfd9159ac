"""The cascading region picker (province → regency → district → village), for every form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .codes import level_of, normalize_code, within
from .models import Region
from .selectors import region_picker_levels

LEVEL_LABELS = {
    1: _("Province"),
    2: _("Regency/city"),
    3: _("District"),
    4: _("Village (desa/kelurahan)"),
}


def picked_code(data, name: str, max_level: int = 4) -> str:
    """The deepest consistent choice among the picker's selects `<name>__1` … `<name>__4`."""
    code = ""
    for level in range(1, max_level + 1):
        value = normalize_code(data.get(f"{name}__{level}", "") or "")
        if not value or level_of(value) != level or (code and not within(value, code)):
            break
        code = value
    return code


class RegionPickerWidget(forms.Widget):
    template_name = "regions/_picker.html"

    def __init__(self, *, max_level: int = 4, attrs=None):
        super().__init__(attrs)
        self.max_level = max_level

    def value_from_datadict(self, data, files, name):
        return picked_code(data, name, self.max_level) or data.get(name, "")

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}__{level}" in data for level in range(1, 5)) and name not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        code = value.code if isinstance(value, Region) else (value or "")
        context["picker"] = picker_context(name=name, code=code, max_level=self.max_level)
        return context


def picker_context(*, name: str, code: str, max_level: int) -> dict:
    levels = region_picker_levels(code=code, max_level=max_level)
    return {
        "name": name,
        "max_level": max_level,
        "levels": [
            {
                "level": lv.level,
                "label": LEVEL_LABELS[lv.level],
                "options": lv.options,
                "selected": lv.selected,
            }
            for lv in levels
        ],
    }


class RegionField(forms.Field):
    """A form field holding one Region, chosen with the cascading picker."""

    widget = RegionPickerWidget
    default_error_messages = {
        "unknown": _("Choose a region from the list."),
        "level": _("Choose a region down to the %(level)s level."),
    }

    def __init__(self, *, min_level: int = 1, max_level: int = 4, **kwargs):
        self.min_level = min_level
        kwargs.setdefault("widget", RegionPickerWidget(max_level=max_level))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, Region):
            return value
        code = normalize_code(str(value or ""))
        if not code:
            if value:
                raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        return region

    def validate(self, value):
        super().validate(value)
        if value is not None and value.level < self.min_level:
            raise forms.ValidationError(
                self.error_messages["level"],
                code="level",
                params={"level": str(LEVEL_LABELS[self.min_level]).lower()},
            )

    def prepare_value(self, value):
        return value.code if isinstance(value, Region) else value
