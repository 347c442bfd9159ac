from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    MEMBER = "member", _("Cooperative member")
    KETUA = "ketua", _("Chair (ketua)")
    WAKIL_KETUA = "wakil_ketua", _("Vice chair (wakil ketua)")
    SEKRETARIS = "sekretaris", _("Secretary (sekretaris)")
    BENDAHARA = "bendahara", _("Treasurer (bendahara)")
    PENGAWAS = "pengawas", _("Supervisor (pengawas)")
    PRODUCER = "producer", _("Producer")
    MENTOR = "mentor", _("Mentor (pendamping)")
    CURATOR = "curator", _("Curator (kurator)")
    VILLAGE_HEAD = "village_head", _("Village head (kepala desa / lurah)")
    ADMIN_REGENCY = "admin_regency", _("Regency admin")
    ADMIN_PROVINCE = "admin_province", _("Province admin")
    ADMIN_NATIONAL = "admin_national", _("National admin")
    PARTNER = "partner", _("Partner (mitra)")
    LENDER = "lender", _("Lender")
    DISPLAY_OPERATOR = "display_operator", _("Display point operator")


class OrgKind(models.TextChoices):
    COOPERATIVE = "cooperative", _("Cooperative")
    PRODUCER = "producer", _("Producer")
    PARTNER = "partner", _("Partner (BUMN/BUMD/private)")
    LENDER = "lender", _("Lender (bank, LPDB, BPR)")
    DISPLAY = "display", _("Display point operator")


OFFICER_ROLES = frozenset({Role.KETUA, Role.WAKIL_KETUA, Role.SEKRETARIS, Role.BENDAHARA, Role.PENGAWAS})
ADMIN_ROLES = frozenset({Role.ADMIN_REGENCY, Role.ADMIN_PROVINCE, Role.ADMIN_NATIONAL})

# Rank of each admin role: an admin may grant admin roles of a lower rank only.
ADMIN_RANK = {Role.ADMIN_REGENCY: 1, Role.ADMIN_PROVINCE: 2, Role.ADMIN_NATIONAL: 3}

# How each role is scoped.
#   "none": needs no scope (a buyer buys for themself);
#   "national": the whole country;
#   ("region", levels): a region of one of those levels;
#   ("org", kinds): one organisation of one of those kinds.
ROLE_SCOPE: dict[str, str | tuple[str, set]] = {
    Role.BUYER: "none",
    Role.ADMIN_NATIONAL: "national",
    Role.ADMIN_PROVINCE: ("region", {1}),
    Role.ADMIN_REGENCY: ("region", {2}),
    Role.VILLAGE_HEAD: ("region", {4}),
    Role.MENTOR: ("region", {1, 2, 3, 4}),
    Role.CURATOR: ("region", {1, 2}),
    Role.MEMBER: ("org", {OrgKind.COOPERATIVE}),
    Role.KETUA: ("org", {OrgKind.COOPERATIVE}),
    Role.WAKIL_KETUA: ("org", {OrgKind.COOPERATIVE}),
    Role.SEKRETARIS: ("org", {OrgKind.COOPERATIVE}),
    Role.BENDAHARA: ("org", {OrgKind.COOPERATIVE}),
    Role.PENGAWAS: ("org", {OrgKind.COOPERATIVE}),
    Role.PRODUCER: ("org", {OrgKind.PRODUCER, OrgKind.COOPERATIVE}),
    Role.PARTNER: ("org", {OrgKind.PARTNER}),
    Role.LENDER: ("org", {OrgKind.LENDER}),
    Role.DISPLAY_OPERATOR: ("org", {OrgKind.DISPLAY}),
}
