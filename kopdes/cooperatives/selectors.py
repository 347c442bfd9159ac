"""Reads of the cooperative registry: only what the asking user may see."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, OuterRef, Q, QuerySet
from django_stubs_ext import StrOrPromise

from kopdes.accounts.choices import OFFICER_ROLES, Role
from kopdes.accounts.scopes import admin_prefixes, org_ids
from kopdes.core.errors import NotFound
from kopdes.core.policies import require
from kopdes.regions.codes import normalize_code

from .choices import SEVEN_UNITS, MemberStatus, UnitStatus
from .models import BusinessUnit, Cooperative, CooperativeVillage, Member, StageRecord


def cooperative_measures(*, cooperative: Cooperative) -> dict[str, int]:
    """What coverage counts for one cooperative: the payload of `cooperatives.changed`."""
    if cooperative.pk is None:
        return {}
    villages = cooperative.villages.count()
    members = cooperative.members.filter(status=MemberStatus.ACTIVE).count()
    operating = set(
        cooperative.units.filter(status=UnitStatus.OPERATING).values_list("kind", flat=True).distinct()
    )
    units_operating = cooperative.units.filter(status=UnitStatus.OPERATING).count()
    measures = {
        "cooperatives": 1,
        "villages_covered": villages,
        f"scheme:{cooperative.scheme}": 1,
        f"stage:{cooperative.stage or 'none'}": 1,
        "legal_entity": int(cooperative.has_legal_entity),
        "members_active": members,
        "units_operating": units_operating,
        "seven_units_operating": int(all(kind in operating for kind in SEVEN_UNITS)),
    }
    return {key: value for key, value in measures.items() if value}


def _scope_q(user) -> Q:
    """Cooperatives the user may see in the registry."""
    prefixes = admin_prefixes(user)
    if "" in prefixes:
        return Q()
    q = Q(organization_id__in=org_ids(user, *OFFICER_ROLES, Role.MEMBER))
    regions = prefixes + [
        a.region_id for a in user.active_roles() if a.role in (Role.VILLAGE_HEAD, Role.MENTOR) and a.region_id
    ]
    for prefix in regions:
        q |= Q(village__code=prefix) | Q(village__code__startswith=prefix + ".")
    return q


def cooperative_list(
    *, user, region: str = "", stage: str = "", scheme: str = "", query: str = ""
) -> QuerySet[Cooperative]:
    """The registry as the user may see it, filtered by region, stage, scheme or name."""
    require(user, "cooperatives.list")
    qs = Cooperative.objects.filter(_scope_q(user)).select_related("village")
    code = normalize_code(region or "")
    if code:
        qs = qs.filter(Q(village__code=code) | Q(village__code__startswith=code + "."))
    if stage:
        qs = qs.filter(stage=stage) if stage != "none" else qs.filter(stage="")
    if scheme:
        qs = qs.filter(scheme=scheme)
    if query:
        qs = qs.filter(name__icontains=query.strip())
    return qs.order_by("village_id")


def cooperative_get(*, user, pk: int) -> Cooperative:
    cooperative = Cooperative.objects.select_related("village", "organization").filter(pk=pk).first()
    if cooperative is None:
        raise NotFound(code="unknown_cooperative")
    require(user, "cooperatives.view", cooperative)
    return cooperative


def cooperative_public(*, slug: str) -> Cooperative:
    """A cooperative for its public microsite (no login)."""
    cooperative = Cooperative.objects.select_related("village").filter(slug=slug).first()
    if cooperative is None:
        raise NotFound(code="unknown_cooperative")
    return cooperative


def stage_history(*, user, cooperative: Cooperative) -> QuerySet[StageRecord]:
    require(user, "cooperatives.view", cooperative)
    return cooperative.stage_records.select_related("recorded_by", "decided_by").order_by("recorded_at", "id")


def stage_record_get(*, user, pk: int) -> StageRecord:
    record = StageRecord.objects.select_related("cooperative").filter(pk=pk).first()
    if record is None:
        raise NotFound(code="unknown_stage_record")
    require(user, "cooperatives.view", record.cooperative)
    return record


def officer_list(*, cooperative: Cooperative, current_only: bool = True):
    """Officers are public (they appear on the microsite): no user check."""
    qs = cooperative.officers.select_related("user")
    return qs.filter(ended_at__isnull=True) if current_only else qs


def member_list(*, user, cooperative: Cooperative, query: str = "", status: str = "") -> QuerySet[Member]:
    require(user, "cooperatives.member.list", cooperative)
    qs = cooperative.members.select_related("village")
    if status:
        qs = qs.filter(status=status)
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        qs = qs.filter(Q(full_name__icontains=query.strip()) | (Q(nik=digits) if len(digits) == 16 else Q()))
    return qs.order_by("full_name", "id")


def member_get(*, user, pk: int) -> Member:
    member = Member.objects.select_related("cooperative", "village").filter(pk=pk).first()
    if member is None:
        raise NotFound(code="unknown_member")
    require(user, "cooperatives.member.view", member)
    return member


def own_memberships(*, user) -> QuerySet[Member]:
    """A member's own records, in every cooperative."""
    if not getattr(user, "is_authenticated", False):
        return Member.objects.none()
    return Member.objects.filter(user=user).select_related("cooperative", "village")


def unit_list(*, cooperative: Cooperative) -> QuerySet[BusinessUnit]:
    """Units are public (they appear on the microsite)."""
    return cooperative.units.prefetch_related("photos").order_by("kind", "id")


def unit_get(*, user, pk: int) -> BusinessUnit:
    unit = BusinessUnit.objects.select_related("cooperative").filter(pk=pk).first()
    if unit is None:
        raise NotFound(code="unknown_unit")
    require(user, "cooperatives.view", unit.cooperative)
    return unit


def seven_units(*, cooperative: Cooperative) -> list[tuple[str, StrOrPromise, bool]]:
    """Each of the seven expected units: (kind, label, operating?)."""
    from .choices import UnitKind

    operating = set(cooperative.units.filter(status=UnitStatus.OPERATING).values_list("kind", flat=True))
    return [(kind, UnitKind(kind).label, kind in operating) for kind in SEVEN_UNITS]


def member_counts(*, cooperative: Cooperative) -> dict[str, int]:
    rows = cooperative.members.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


# --- For the coverage read model (kopdes.monitoring) -----------------------------------------


def coverage_facts() -> dict[str, dict[str, int]]:
    """Each seat village's coverage facts (the measures of `cooperative_measures`), summed over
    the cooperatives seated there, from four aggregate queries: never one per cooperative."""
    villages = dict(
        CooperativeVillage.objects.order_by()
        .values("cooperative_id")
        .annotate(n=Count("id"))
        .values_list("cooperative_id", "n")
    )
    members = dict(
        Member.objects.filter(status=MemberStatus.ACTIVE)
        .order_by()
        .values("cooperative_id")
        .annotate(n=Count("id"))
        .values_list("cooperative_id", "n")
    )
    units = {
        row[0]: (row[1], row[2])
        for row in BusinessUnit.objects.filter(status=UnitStatus.OPERATING)
        .order_by()
        .values("cooperative_id")
        .annotate(n=Count("id"), seven=Count("kind", distinct=True, filter=Q(kind__in=SEVEN_UNITS)))
        .values_list("cooperative_id", "n", "seven")
    }
    legal: dict[tuple[str, str], bool] = {}
    keys: dict[str, str] = {}  # "new" -> "scheme:new": one string per value, not one per row
    seven = len(SEVEN_UNITS)
    result: dict[str, dict[str, int]] = {}
    rows = Cooperative.objects.order_by().values_list("id", "village_id", "scheme", "stage", "stage_status")
    for pk, village, scheme, stage, status in rows.iterator(chunk_size=10_000):
        if (stage, status) not in legal:
            # The same rule the registry applies to one cooperative (Cooperative.has_legal_entity).
            legal[stage, status] = Cooperative(stage=stage, stage_status=status).has_legal_entity
            keys.setdefault(stage, f"stage:{stage or 'none'}")
        if scheme not in keys:
            keys[scheme] = f"scheme:{scheme}"
        counts = {"cooperatives": 1, "villages_covered": villages.get(pk, 0), keys[scheme]: 1, keys[stage]: 1}
        if legal[stage, status]:
            counts["legal_entity"] = 1
        if pk in members:
            counts["members_active"] = members[pk]
        if pk in units:
            counts["units_operating"], n_seven = units[pk]
            if n_seven == seven:
                counts["seven_units_operating"] = 1
        if village in result:  # a second cooperative seated in one village: the data says so, count it
            counts = Counter(result[village]) + Counter(counts)
        result[village] = counts
    return result


def village_cooperative_links(*, village_codes: list[str]) -> QuerySet[CooperativeVillage]:
    """The cooperative serving each of these villages (one query: the unique index on the village,
    the cooperative joined), with only the fields a coverage page shows."""
    q = Q(village_id=village_codes[0]) if len(village_codes) == 1 else Q(village_id__in=village_codes)
    # (An empty list: `__in` with nothing, which Django answers without a query.)
    return (
        CooperativeVillage.objects.filter(q)
        .select_related("cooperative")
        .only(
            "village_id",
            "is_seat",
            "cooperative__id",
            "cooperative__name",
            "cooperative__slug",
            "cooperative__scheme",
            "cooperative__stage",
            "cooperative__stage_status",
            "cooperative__village_id",
        )
    )


def villages_served(*, village: str | OuterRef) -> QuerySet[CooperativeVillage]:
    """Links of a cooperative to a village; with `OuterRef("code")`, the subquery of an
    `Exists` (anti-)join from regions: "villages a cooperative serves"."""
    return CooperativeVillage.objects.filter(village_id=village)
