"""Demo cooperatives: one for each of Kutai Kartanegara's 237 villages, spread over the formation
stages, and a full one (officers, members, all seven units) in Tenggarong Seberang.

Built through the services, by the Kukar regency admin of the people demo. Idempotent.
"""

from __future__ import annotations

import datetime as dt

from kopdes.accounts.choices import OFFICER_ROLES, Role
from kopdes.accounts.models import RoleAssignment, User
from kopdes.regions.models import Region

from . import services
from .choices import SEVEN_UNITS, STAGE_ORDER, Scheme, UnitStatus
from .models import Cooperative, Officer

KUKAR = "64.02"
START = dt.date(2025, 8, 4)


def _scheme(index: int) -> str:
    return Scheme.REVITALIZE if index % 10 == 0 else Scheme.DEVELOP if index % 10 in (1, 2) else Scheme.NEW


def _walk_stages(admin: User, coop: Cooperative, reached: int, pending_last: bool) -> None:
    for step in range(reached):
        record = services.stage_record(
            actor=admin,
            cooperative=coop,
            stage=STAGE_ORDER[step],
            happened_on=START + dt.timedelta(days=21 * step),
            notes="Data demo",
        )
        if not (pending_last and step == reached - 1):
            services.stage_verify(actor=admin, record=record)


def _nik(district_code: str, index: int) -> str:
    born = dt.date(1970, 1, 1) + dt.timedelta(days=173 * index)
    day = born.day + (40 if index % 2 else 0)  # women's NIKs add 40 to the day
    return f"{district_code.replace('.', '')}{day:02d}{born.month:02d}{born.year % 100:02d}{index + 1:04d}"


def demo_cooperatives_load() -> tuple[str, list[tuple[str, str, str]]]:
    admin = User.objects.filter(phone="+6281264020001").first()
    if admin is None:
        return "skipped (load the people demo first)", []
    villages = list(Region.objects.filter(code__startswith=KUKAR + ".", level=4).order_by("code"))
    existing = set(Cooperative.objects.filter(village__in=villages).values_list("village_id", flat=True))
    created = 0
    for index, village in enumerate(villages):
        if village.code in existing:
            continue
        coop = services.cooperative_create(actor=admin, village=village, scheme=_scheme(index))
        _walk_stages(admin, coop, reached=index % 8, pending_last=index % 5 == 0)
        if index % 8 == 7:
            for kind in SEVEN_UNITS[:3]:
                services.unit_create(actor=admin, cooperative=coop, kind=kind, status=UnitStatus.OPERATING)
            services.unit_create(
                actor=admin, cooperative=coop, kind=SEVEN_UNITS[3], status=UnitStatus.BUILDING
            )
        created += 1
    members = _flagship(admin)
    return f"{created} cooperatives, {members} members created", []


def _flagship(admin: User) -> int:
    """The demo officers' cooperative: officers on record, members, all seven units operating."""
    ketua = User.objects.filter(phone="+6281400000001").first()
    if ketua is None:
        return 0
    coop = Cooperative.objects.filter(organization__role_assignments__user=ketua).distinct().first()
    if coop is None:
        return 0
    for assignment in RoleAssignment.objects.filter(
        organization=coop.organization, revoked_at__isnull=True, role__in=OFFICER_ROLES
    ).select_related("user"):
        if not Officer.objects.filter(role_assignment=assignment).exists():
            # The people demo granted these roles already; the officer record points at them.
            Officer.objects.create(
                cooperative=coop,
                user=assignment.user,
                position=assignment.role,
                term_start=dt.date(2025, 10, 1),
                term_end=dt.date(2030, 9, 30),
                role_assignment=assignment,
            )
    if not coop.units.exists():
        for kind in SEVEN_UNITS:
            services.unit_create(
                actor=admin,
                cooperative=coop,
                kind=kind,
                status=UnitStatus.OPERATING,
                opened_on=dt.date(2026, 3, 2),
            )
    if coop.members.exists():
        return 0
    district = coop.village_id.rsplit(".", 1)[0]
    people = list(
        RoleAssignment.objects.filter(
            organization=coop.organization, role=Role.MEMBER, revoked_at__isnull=True
        )
        .select_related("user")
        .order_by("user__phone")
    )
    names = [a.user.full_name for a in people] + [
        f"{first} {last}"
        for first in ("Sri", "Yusuf", "Nur", "Rudi", "Fitri", "Andi", "Wati", "Joko")
        for last in ("Hidayat", "Rahayu", "Saputra", "Lestari")
    ]
    for index, name in enumerate(names):
        services.member_add(
            actor=admin,
            cooperative=coop,
            nik=_nik(district, index),
            full_name=name,
            joined_on=dt.date(2025, 10, 1) + dt.timedelta(days=index),
            user=people[index].user if index < len(people) else None,
        )
    return len(names)
