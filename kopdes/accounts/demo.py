"""A believable demo world on the real regions: NTT's 22 regencies and Kukar's 237 villages.

Every role has at least one login (listed in the README). Idempotent: a second run finds
everything in place and changes nothing. Later issues add cooperatives and products on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from lokal import parse_phone

from kopdes.core.audit import audit_record
from kopdes.regions.models import Region

from .choices import OrgKind, Role
from .models import Organization, RoleAssignment, User
from .services import organization_create, role_grant

DEMO_PASSWORD = "desa-maju-2026"  # noqa: S105  (documented demo password, demo data only)
NTT, KALTIM, KUKAR, SIKKA = "53", "64", "64.02", "53.07"


@dataclass
class DemoResult:
    users: int = 0
    roles: int = 0
    organizations: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)


class _World:
    def __init__(self) -> None:
        self.result = DemoResult()
        self.password_hash = make_password(DEMO_PASSWORD)
        self.users = {u.phone: u for u in User.objects.all()}
        self.orgs = {(o.kind, o.name, o.region_id): o for o in Organization.objects.all()}
        self.roles = set(
            RoleAssignment.objects.filter(revoked_at__isnull=True).values_list("user_id", "role", "scope_key")
        )

    def user(self, phone: str, name: str, region: Region | None, email: str | None = None) -> User:
        user = self.users.get(phone)
        if user is None:
            user = User.objects.create(
                phone=phone, email=email, full_name=name, region=region, password=self.password_hash
            )
            audit_record(actor=None, action="accounts.user.create", obj=user, changes={"demo": True})
            self.users[phone] = user
            self.result.users += 1
        return user

    def org(self, kind: str, name: str, region: Region) -> Organization:
        org = self.orgs.get((kind, name, region.code))
        if org is None:
            org = organization_create(actor=None, kind=kind, name=name, region=region)
            self.orgs[(kind, name, region.code)] = org
            self.result.organizations += 1
        return org

    def grant(self, user: User, role: str, region: Region | None = None, org: Organization | None = None):
        key = (
            f"org:{org.pk}"
            if org
            else f"region:{region.code}"
            if region
            else ("national" if role == Role.ADMIN_NATIONAL else "none")
        )
        if (user.pk, role, key) not in self.roles:
            role_grant(actor=None, user=user, role=role, region=region, organization=org)
            self.roles.add((user.pk, role, key))
            self.result.roles += 1

    def login(self, who: str, phone: str) -> None:
        self.result.logins.append((who, parse_phone(phone).national or phone, DEMO_PASSWORD))


def cooperative_name(village: Region) -> str:
    word = "Kelurahan" if village.kind == "kelurahan" else "Desa"
    return f"Koperasi {word} Merah Putih {village.name}"


@transaction.atomic
def demo_world_load() -> DemoResult:
    """Create the demo organisations, people and roles that are missing."""
    regions = {r.code: r for r in Region.objects.filter(code__in=[NTT, KALTIM, KUKAR, SIKKA])}
    if len(regions) < 4:
        raise RuntimeError("Load the regions first: manage.py load_regions")
    w = _World()

    admin = w.user("+6281100000001", "Admin Nasional Kopdes", None, email="admin@kopdes.test")
    w.grant(admin, Role.ADMIN_NATIONAL)
    w.login("National admin (also admin@kopdes.test)", admin.phone or "")
    for code, phone, name in (
        (NTT, "+6281100000053", "Admin Provinsi NTT"),
        (KALTIM, "+6281100000064", "Admin Provinsi Kalimantan Timur"),
    ):
        w.grant(w.user(phone, name, regions[code]), Role.ADMIN_PROVINCE, region=regions[code])
        w.login(name, phone)

    # One admin for each of NTT's 22 regencies, and one for Kutai Kartanegara.
    regencies = [*Region.objects.filter(parent_id=NTT).order_by("code"), regions[KUKAR]]
    for regency in regencies:
        digits = regency.code.replace(".", "")
        phone = f"+62812{digits}0001"
        w.grant(w.user(phone, f"Admin {regency.name}", regency), Role.ADMIN_REGENCY, region=regency)
    w.login("Regency admin, Sikka (each NTT regency and Kukar: 0812-<code>-0001)", "+6281253070001")
    w.login("Regency admin, Kutai Kartanegara", "+6281264020001")

    # Kukar: a village head and a (forming) cooperative for each of its 237 villages.
    villages = list(Region.objects.filter(code__startswith=KUKAR + ".", level=4).order_by("code"))
    coops: dict[str, Organization] = {}
    for village in villages:
        _, _, district, number = village.code.split(".")
        phone = f"+628132{district}{number}"
        head = w.user(phone, f"Kepala {village.get_kind_display().split(' ')[0]} {village.name}", village)
        w.grant(head, Role.VILLAGE_HEAD, region=village)
        coops[village.code] = w.org(OrgKind.COOPERATIVE, cooperative_name(village), village)
    w.login(
        "Village head, e.g. Tenggarong (each Kukar village: 0813-2<district><village no.>)",
        "+628132061001",
    )

    # The officers, members and a producer of one cooperative in Tenggarong Seberang.
    home = next(v for v in villages if v.code.startswith("64.02.16.") and v.kind == "desa")
    coop = coops[home.code]
    officers = [
        (Role.KETUA, "Siti Rahmawati"),
        (Role.WAKIL_KETUA, "Ahmad Fauzi"),
        (Role.SEKRETARIS, "Dewi Lestari"),
        (Role.BENDAHARA, "Budi Santoso"),
        (Role.PENGAWAS, "Yohanes Lado"),
    ]
    for index, (role, name) in enumerate(officers, start=1):
        phone = f"+6281400000{index:03d}"
        person = w.user(phone, name, home)
        w.grant(person, role, org=coop)
        w.grant(person, Role.MEMBER, org=coop)
        w.login(f"{Role(role).label} of {coop.name}", phone)
    for index, name in enumerate(["Rina Marlina", "Agus Salim", "Maria Goreti", "Hendra Wijaya"], start=10):
        w.grant(w.user(f"+6281400000{index:03d}", name, home), Role.MEMBER, org=coop)
    w.login(f"Member of {coop.name}", "+6281400000010")

    sikka_village = Region.objects.filter(code__startswith=SIKKA + ".", level=4).order_by("code")[0]
    weavers = w.org(OrgKind.PRODUCER, f"Kelompok Tenun Ikat {sikka_village.name}", sikka_village)
    w.grant(w.user("+6281500000001", "Maria Nona Weni", sikka_village), Role.PRODUCER, org=weavers)
    w.login(f"Producer ({weavers.name})", "+6281500000001")
    w.grant(
        w.user("+6281500000002", "Yosef Kopong (pendamping)", regions[KUKAR]),
        Role.MENTOR,
        region=regions[KUKAR],
    )
    w.login("Mentor, Kutai Kartanegara", "+6281500000002")
    w.grant(
        w.user("+6281500000003", "Dr. Theresia Bunga (kurator)", regions[NTT]),
        Role.CURATOR,
        region=regions[NTT],
    )
    w.login("Curator, NTT", "+6281500000003")
    for phone, name in (
        ("+6281500000007", "Ir. Hasanah (kurator)"),
        ("+6281500000008", "Drs. Markus Laing (kurator)"),
    ):
        w.grant(w.user(phone, name, regions[KALTIM]), Role.CURATOR, region=regions[KALTIM])
    w.login("Curators, Kalimantan Timur (also 0815-0000-0008)", "+6281500000007")
    kupang = Region.objects.get(code="53.71")
    partner = w.org(OrgKind.PARTNER, "PT Flobamor (BUMD NTT)", kupang)
    w.grant(w.user("+6281500000004", "Mitra PT Flobamor", kupang), Role.PARTNER, org=partner)
    w.login("Partner (PT Flobamor)", "+6281500000004")
    lender = w.org(OrgKind.LENDER, "Bank NTT", kupang)
    w.grant(w.user("+6281500000005", "Analis Kredit Bank NTT", kupang), Role.LENDER, org=lender)
    w.login("Lender (Bank NTT)", "+6281500000005")
    w.grant(w.user("+6281500000006", "Pembeli Umum", None), Role.BUYER)
    w.login("Public buyer", "+6281500000006")
    # The display point itself is opened by the market demo, for this operator.
    samarinda = Region.objects.get(code="64.72")
    gallery = w.org(OrgKind.DISPLAY, "Galeri Produk Desa Bandara APT Pranoto", samarinda)
    operator = w.user("+6281500000009", "Operator Galeri Bandara", samarinda)
    w.grant(operator, Role.DISPLAY_OPERATOR, org=gallery)
    w.login("Display point operator (APT Pranoto airport gallery)", "+6281500000009")
    return w.result
