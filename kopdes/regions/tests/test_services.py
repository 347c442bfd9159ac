from collections import Counter

from kopdes.regions.models import Region
from kopdes.regions.services import regions_load, search_key


def test_the_whole_country_is_loaded_with_the_expected_count_per_level(regions):
    counts = Counter(Region.objects.values_list("level", flat=True))

    assert counts == {1: 38, 2: 514, 3: 7285, 4: 83762}


def test_villages_cover_desa_kelurahan_and_desa_adat_with_postal_codes(regions):
    kinds = Counter(Region.objects.filter(level=4).values_list("kind", flat=True))

    assert kinds == {"desa": 75252, "kelurahan": 8496, "desa_adat": 14}
    assert not Region.objects.filter(level=4, postal_code="").exists()


def test_loading_again_changes_nothing(regions):
    result = regions_load()

    assert (result.created, result.updated, result.unchanged) == (0, 0, 91599)


def test_loading_repairs_a_changed_row(regions):
    Region.objects.filter(code="53.07").update(name="Wrong name")

    result = regions_load()

    assert (result.created, result.updated) == (0, 1)
    assert Region.objects.get(code="53.07").name == "Kabupaten Sikka"


def test_a_subtree_is_a_code_prefix(regions):
    kukar = Region.objects.get(code="64.02")

    villages = Region.objects.filter(code__startswith="64.02.", level=4)

    assert villages.count() == kukar.village_count == 237
    assert Region.objects.filter(code__startswith="64.02.", level=3).count() == kukar.child_count == 20
    assert Region.objects.filter(parent_id="53", level=2).count() == 22


def test_the_parent_chain_matches_the_code():
    village = Region(code="53.07.01.2001")

    assert village.ancestor_codes() == ["53", "53.07", "53.07.01"]


def test_search_key_drops_administrative_prefixes_and_punctuation():
    assert search_key("Kabupaten Sikka") == "sikka"
    assert search_key("KAB. Kutai  Kartanegara") == "kutai kartanegara"
    assert search_key("Kota Kupang") == "kupang"
