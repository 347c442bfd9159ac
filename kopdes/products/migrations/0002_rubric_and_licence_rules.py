"""Default data: the national curation rubric and the licence rule table (see shared/reference).

The rubric follows Vietnam's OCOP (148/QĐ-TTg, 2023: parts of 40, 25 and 35 points). Its
per-criterion points are not published; these criteria follow the 1048 (2019) food sheet,
adapted to the 148 totals: part A gains "women and minority involvement" (3) and "local
materials and labour" (2), part C drops "global market" (5). A province copies and adjusts it.
"""

import datetime as dt

from django.db import migrations

RUBRIC = [
    ("A", "Production and community", 40, [
        ("Raw-material origin", 3, "≥75% of inputs from the province"),
        ("Value added", 3, "processing, preservation, good technology"),
        ("Capacity", 4, "large scale, can supply steadily"),
        ("Production linkage", 2, "tight local chain, with poor households"),
        ("Environment", 5, "lawful plan, applied, by-products reused"),
        ("Clean energy / green technology", 1, "used"),
        ("Product idea origin", 3, "own idea preserving a local speciality"),
        ("Packaging completeness", 3, "full label, traceability, protected brand"),
        ("Packaging style", 2, "convenient, attractive"),
        ("Organisation type", 3, "cooperative, or mostly local capital"),
        ("Community in management", 2, "≥50% local managers, local women among them"),
        ("Local labour", 1, "≥50% local workers"),
        ("Growth", 1, "revenue +10% year on year"),
        ("Accounting", 2, "organised accounting"),
        ("Women and minority involvement", 3, "women or minorities lead or work"),
        ("Local materials and labour bonus", 2, "both local"),
    ]),
    ("B", "Marketing and story", 25, [
        ("Distribution area", 5, "international"),
        ("Distribution organisation", 5, "dedicated unit using IT"),
        ("Promotion", 5, "website, trade fairs outside the province"),
        ("Product story", 5, "documented, on label and online"),
        ("Local identity", 3, "story shows local wisdom"),
        ("Story structure", 2, "complete"),
    ]),
    ("C", "Quality, standards and export readiness", 35, [
        ("Size and shape", 2, "uniform"),
        ("Colour and appearance", 8, "very appropriate"),
        ("Smell and taste", 3, "good"),
        ("Cleanliness", 3, "very good"),
        ("Texture and arrangement", 2, "good"),
        ("Nutrition", 2, "more than two lab-tested nutrients"),
        ("Uniqueness", 5, "very unique"),
        ("Standard and quality declaration", 2, "both exist"),
        ("Periodic safety tests", 3, "all parameters pass"),
        ("Quality assurance", 5, "export-grade certificate"),
    ]),
]

HALAL_DEADLINE = dt.date(2026, 10, 17)
# (category, group, licence, required from): same group = alternatives; every group is needed.
RULES = [
    ("processed_food", 1, "nib", None), ("processed_food", 2, "spp_irt", None),
    ("processed_food", 3, "halal", HALAL_DEADLINE),
    ("high_risk_food", 1, "nib", None), ("high_risk_food", 2, "bpom_md", None),
    ("high_risk_food", 3, "halal", HALAL_DEADLINE),
    ("beverage", 1, "nib", None), ("beverage", 2, "spp_irt", None), ("beverage", 2, "bpom_md", None),
    ("beverage", 3, "halal", HALAL_DEADLINE),
    ("honey", 1, "nib", None), ("honey", 2, "spp_irt", None), ("honey", 3, "halal", HALAL_DEADLINE),
    ("fresh_produce", 1, "nib", None), ("fresh_produce", 2, "psat", None),
    ("fish", 1, "nib", None), ("fish", 2, "skp", None), ("fish", 3, "spp_irt", None),
    ("fish", 3, "bpom_md", None), ("fish", 4, "halal", HALAL_DEADLINE),
    ("herbal", 1, "nib", None), ("herbal", 2, "spp_irt", None), ("herbal", 2, "bpom_md", None),
    ("herbal", 3, "halal", HALAL_DEADLINE),
    ("cosmetics", 1, "nib", None), ("cosmetics", 2, "bpom_na", None), ("cosmetics", 3, "halal", HALAL_DEADLINE),
    ("textile", 1, "nib", None),
    ("crafts", 1, "nib", None),
    ("other", 1, "nib", None),
]


def forward(apps, schema_editor):
    Rubric = apps.get_model("products", "Rubric")
    RubricPart = apps.get_model("products", "RubricPart")
    RubricCriterion = apps.get_model("products", "RubricCriterion")
    LicenceRequirement = apps.get_model("products", "LicenceRequirement")
    rubric = Rubric.objects.create(name="OCOP national rubric (148/QĐ-TTg adapted)")
    for order, (code, name, points, criteria) in enumerate(RUBRIC):
        assert sum(c[1] for c in criteria) == points, code
        part = RubricPart.objects.create(rubric=rubric, code=code, name=name, max_points=points, order=order)
        for index, (criterion, max_points, guidance) in enumerate(criteria):
            RubricCriterion.objects.create(
                part=part, name=criterion, max_points=max_points, guidance=guidance, order=index
            )
    LicenceRequirement.objects.bulk_create(
        LicenceRequirement(category=c, group=g, licence_type=t, required_from=f) for c, g, t, f in RULES
    )


def backward(apps, schema_editor):
    apps.get_model("products", "Rubric").objects.all().delete()
    apps.get_model("products", "LicenceRequirement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("products", "0001_catalog")]
    operations = [migrations.RunPython(forward, backward)]
