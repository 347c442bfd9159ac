from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Scheme(models.TextChoices):
    NEW = "new", _("New cooperative")
    DEVELOP = "develop", _("Develop an existing cooperative")
    REVITALIZE = "revitalize", _("Revitalise a cooperative")


class Stage(models.TextChoices):
    """The formation path of a KDMP, in order."""

    SOSIALISASI = "sosialisasi", _("Socialisation (sosialisasi)")
    MUSDESUS = "musdesus", _("Special village deliberation (musdesus)")
    RAPAT_PENDIRIAN = "rapat_pendirian", _("Founding meeting (rapat pendirian)")
    AKTA_NOTARIS = "akta_notaris", _("Notarial deed (akta notaris)")
    BADAN_HUKUM = "badan_hukum", _("Legal entity (SK AHU)")
    NIB = "nib", _("Business number (NIB)")
    OPERASIONAL = "operasional", _("Operating")


STAGE_ORDER: list[str] = [s.value for s in Stage]


def stage_index(stage: str) -> int:
    return STAGE_ORDER.index(stage)


class StageStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting verification")
    VERIFIED = "verified", _("Verified")
    SENT_BACK = "sent_back", _("Sent back")
    ROLLED_BACK = "rolled_back", _("Rolled back")


class Position(models.TextChoices):
    KETUA = "ketua", _("Chair (ketua)")
    WAKIL_KETUA = "wakil_ketua", _("Vice chair (wakil ketua)")
    SEKRETARIS = "sekretaris", _("Secretary (sekretaris)")
    BENDAHARA = "bendahara", _("Treasurer (bendahara)")
    PENGAWAS = "pengawas", _("Supervisor (pengawas)")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESIGNED = "resigned", _("Resigned")
    DECEASED = "deceased", _("Deceased")


class UnitKind(models.TextChoices):
    KANTOR = "kantor", _("Office (kantor)")
    GERAI_SEMBAKO = "gerai_sembako", _("Grocery outlet (gerai sembako)")
    SIMPAN_PINJAM = "simpan_pinjam", _("Savings and loans (simpan pinjam)")
    KLINIK = "klinik", _("Village clinic (klinik desa)")
    APOTEK = "apotek", _("Village pharmacy (apotek desa)")
    GUDANG = "gudang", _("Warehouse / cold storage")
    LOGISTIK = "logistik", _("Logistics")
    AGEN_LPG = "agen_lpg", _("LPG agency")
    AGEN_PUPUK = "agen_pupuk", _("Fertiliser agency")
    POTENSI_LOKAL = "potensi_lokal", _("Local potential")


# The seven units every KDMP is expected to run.
SEVEN_UNITS: list[str] = [
    UnitKind.KANTOR,
    UnitKind.GERAI_SEMBAKO,
    UnitKind.SIMPAN_PINJAM,
    UnitKind.KLINIK,
    UnitKind.APOTEK,
    UnitKind.GUDANG,
    UnitKind.LOGISTIK,
]


class UnitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    PREPARING_LAND = "preparing_land", _("Preparing land")
    BUILDING = "building", _("Building")
    OPERATING = "operating", pgettext_lazy("unit status", "Operating")
    STOPPED = "stopped", _("Stopped")


class ImportKind(models.TextChoices):
    COOPERATIVES = "cooperatives", _("Cooperatives")
    MEMBERS = "members", _("Members")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWED = "previewed", _("Checked")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
