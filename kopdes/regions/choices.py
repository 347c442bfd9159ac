from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    PROVINCE = 1, _("province")
    REGENCY = 2, _("regency/city")
    DISTRICT = 3, _("district")
    VILLAGE = 4, _("village")


class Kind(models.TextChoices):
    PROVINSI = "provinsi", _("Province")
    KABUPATEN = "kabupaten", _("Regency")
    KOTA = "kota", _("City")
    KECAMATAN = "kecamatan", _("District")
    DISTRIK = "distrik", _("District (distrik)")
    DESA = "desa", _("Village (desa)")
    KELURAHAN = "kelurahan", _("Urban village (kelurahan)")
    DESA_ADAT = "desa_adat", _("Customary village (desa adat)")
