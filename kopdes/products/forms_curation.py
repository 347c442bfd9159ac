"""Forms of the curation pages: the scoring sheet (one number per criterion) and the decision."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Decision
from .models import RubricPart


def criterion_field(pk: int) -> str:
    return f"criterion_{pk}"


class ScoreForm(forms.Form):
    """One whole-number field per criterion of the rubric, 0 to its maximum, grouped by part."""

    notes = forms.CharField(
        label=_("Notes for the other deciders (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, parts: list[RubricPart], **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = parts
        notes = self.fields.pop("notes")
        for part in parts:
            for c in part.criteria.all():
                self.fields[criterion_field(c.pk)] = forms.IntegerField(
                    label=c.name,
                    min_value=0,
                    max_value=c.max_points,
                    help_text=_("0 to %(max)s · full marks when: %(guidance)s")
                    % {"max": c.max_points, "guidance": c.guidance or "—"},
                    widget=forms.NumberInput(
                        attrs={
                            "inputmode": "numeric",
                            "min": 0,
                            "max": c.max_points,
                            "data-max": c.max_points,
                        }
                    ),
                )
        self.fields["notes"] = notes

    def groups(self) -> list[tuple[RubricPart, list]]:
        """(part, its bound fields), for the template."""
        return [(part, [self[criterion_field(c.pk)] for c in part.criteria.all()]) for part in self.parts]

    def points(self) -> dict[int, int]:
        return {
            c.pk: self.cleaned_data[criterion_field(c.pk)] for part in self.parts for c in part.criteria.all()
        }


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(
        label=_("Reasons (what to fix, for revise; why, for reject)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The producer reads these on the product's curation history."),
    )
