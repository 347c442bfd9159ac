from .catalog import Producer, Product, ProductPhoto, ProductVersion
from .curation import CriterionScore, CurationRound, CurationScore, Rubric, RubricCriterion, RubricPart
from .featured import FeaturedProduct, ProvinceTarget
from .licences import Licence, LicenceRequirement
from .potential import Potential, PotentialPhoto

__all__ = [
    "CriterionScore",
    "CurationRound",
    "CurationScore",
    "FeaturedProduct",
    "Licence",
    "LicenceRequirement",
    "Potential",
    "PotentialPhoto",
    "Producer",
    "Product",
    "ProductPhoto",
    "ProductVersion",
    "ProvinceTarget",
    "Rubric",
    "RubricCriterion",
    "RubricPart",
]
