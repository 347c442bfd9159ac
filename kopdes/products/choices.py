from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    AGRICULTURE = "agriculture", _("Agriculture")
    PLANTATION = "plantation", _("Plantation")
    LIVESTOCK = "livestock", _("Livestock")
    FISHERY = "fishery", _("Fishery")
    FORESTRY = "forestry", _("Forestry")
    CRAFTS = "crafts", _("Crafts and creative industry")
    PROCESSED_FOOD = "processed_food", _("Processed food")
    TOURISM = "tourism", _("Tourism")
    WASTE = "waste", _("Waste processing")
    OTHER = "other", _("Other")


class ProducerKind(models.TextChoices):
    COOPERATIVE = "cooperative", _("The cooperative itself")
    UMKM = "umkm", _("A member's small business (UMKM)")
    GROUP = "group", _("Community group")
    SCHOOL = "school", _("School")
    CLASS = "class", _("Class")


class Line(models.TextChoices):
    """The one-product programme a product belongs to, following from its producer."""

    OVOP = "ovop", _("OVOP (One Village One Product)")
    OCOP = "ocop", _("OCOP (One Community One Product)")
    OSOP = "osop", _("OSOP (One School One Product)")
    CLASS = "class", _("One Class One Product")


LINE_OF_PRODUCER = {
    ProducerKind.COOPERATIVE: Line.OVOP,
    ProducerKind.UMKM: Line.OVOP,
    ProducerKind.GROUP: Line.OCOP,
    ProducerKind.SCHOOL: Line.OSOP,
    ProducerKind.CLASS: Line.CLASS,
}


class Category(models.TextChoices):
    PROCESSED_FOOD = "processed_food", _("Processed food (home industry)")
    HIGH_RISK_FOOD = "high_risk_food", _("Processed food, high risk (dairy, canned, frozen, pasteurised)")
    BEVERAGE = "beverage", _("Beverages, coffee and tea")
    HONEY = "honey", _("Honey")
    FRESH_PRODUCE = "fresh_produce", _("Fresh produce, packaged")
    FISH = "fish", _("Fish products")
    HERBAL = "herbal", _("Jamu / herbal")
    COSMETICS = "cosmetics", _("Cosmetics and soap")
    TEXTILE = "textile", _("Woven cloth and textiles (tenun ikat)")
    CRAFTS = "crafts", _("Handicrafts")
    OTHER = "other", _("Other")


class ProcessingLevel(models.TextChoices):
    RAW = "raw", _("Raw")
    SEMI = "semi", _("Semi-processed")
    PROCESSED = "processed", _("Processed")
    PACKAGED = "packaged", _("Packaged, ready to sell")


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_CURATION = "in_curation", _("In curation")
    REVISE = "revise", _("To revise")
    REJECTED = "rejected", _("Rejected")
    CURATED = "curated", _("Curated")
    READY = "ready", _("Ready for market")


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open for scoring")
    DECIDED = "decided", _("Decided")


class Decision(models.TextChoices):
    PASS = "pass", _("Pass")
    REVISE = "revise", _("Revise")
    REJECT = "reject", _("Reject")


class CoachingLevel(models.TextChoices):
    REGENCY = "regency", _("Regency")
    PROVINCE = "province", _("Province")
    NATIONAL = "national", _("National")


class LicenceType(models.TextChoices):
    NIB = "nib", _("NIB")
    SPP_IRT = "spp_irt", _("SPP-IRT")
    HALAL = "halal", _("Halal certificate")
    BPOM_MD = "bpom_md", _("BPOM MD")
    BPOM_ML = "bpom_ml", _("BPOM ML")
    BPOM_NA = "bpom_na", _("BPOM cosmetic notification")
    PSAT = "psat", _("PSAT (fresh produce)")
    SKP = "skp", _("SKP (fish processing)")
    SNI = "sni", _("SNI")
    TRADEMARK = "trademark", _("Trademark (HKI)")
    BARCODE = "barcode", _("Barcode (GS1)")


class LicenceStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROCESS = "in_process", _("In process")
    ISSUED = "issued", _("Issued")
    EXPIRED = "expired", _("Expired")


def stars_for(score: float) -> int:
    """The OCOP star bands: ≥90 ★5, 70-89 ★4, 50-69 ★3, 30-49 ★2, below 30 ★1."""
    if score >= 90:
        return 5
    if score >= 70:
        return 4
    if score >= 50:
        return 3
    if score >= 30:
        return 2
    return 1


def coaching_for(stars: int) -> str:
    """Coaching follows the stars: ★1-2 regency, ★3 province, ★4-5 national."""
    if stars >= 4:
        return CoachingLevel.NATIONAL
    if stars == 3:
        return CoachingLevel.PROVINCE
    return CoachingLevel.REGENCY
