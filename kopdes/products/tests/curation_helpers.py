"""Shared test data of the curation tests: curators, a submitted product, full marks."""

from __future__ import annotations

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.products import selectors_curation as sel
from kopdes.products import services_curation as services
from kopdes.products.models import CurationRound, Product, RubricCriterion
from kopdes.products.tests.factories import make_product

JAHAB = "64.02.06.1001"
LOA_IPUH = "64.02.06.1002"
MASABEWA = "53.07.01.2001"


def curator(scope: str = "64.02", region: str | None = "64.01", **fields):
    """A curator of `scope`, living elsewhere (Paser, 64.01) unless told."""
    return person(Role.CURATOR, region=region, scope=scope, **fields)


def submitted(village: str = JAHAB, **fields) -> tuple[Product, CurationRound]:
    product = make_product(village, **fields)
    round_ = _submit(product)
    return product, round_


def _submit(product: Product) -> CurationRound:
    admin = person(Role.ADMIN_NATIONAL)
    return services.curation_submit(actor=admin, product=product)


def points_for(round_: CurationRound, share: float = 1.0) -> dict[int, int]:
    """Every criterion of the round's rubric at `share` of its maximum (rounded down)."""
    return {c.pk: int(c.max_points * share) for c in sel.rubric_criteria(round_.rubric)}


def points_totalling(round_: CurationRound, total: int) -> dict[int, int]:
    """Points that add up to exactly `total`, filling criteria in order."""
    left = total
    points = {}
    for c in RubricCriterion.objects.filter(part__rubric=round_.rubric).order_by(
        "part__order", "order", "id"
    ):
        given = min(c.max_points, left)
        points[c.pk] = given
        left -= given
    assert left == 0
    return points
