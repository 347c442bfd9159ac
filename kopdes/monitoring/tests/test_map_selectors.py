from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from kopdes.accounts.choices import OrgKind
from kopdes.accounts.models import Organization
from kopdes.cooperatives import services as coop
from kopdes.cooperatives.models import Cooperative
from kopdes.core.errors import DomainError, NotFound
from kopdes.market.choices import DisplayKind, LocationKind
from kopdes.market.models import DisplayPoint, Location
from kopdes.monitoring import selectors_map
from kopdes.monitoring.selectors_map import STAGE_COLOURS, map_get

from .conftest import advance, village

JAHAB = "64.02.06.1001"  # Tenggarong, Kutai Kartanegara (Kalimantan Timur)
LOA_IPUH = "64.02.06.1002"
BUKIT_BIRU = "64.02.06.1003"
MUARA_MUNTAI = "64.02.01.2001"  # Perian, in another district of the same regency
BALIKPAPAN = "64.71.01.1001"  # a city of the same province
MASABEWA = "53.07.01.2001"  # Sikka (Nusa Tenggara Timur)


def located(code: str, lat: str | None, lon: str | None, **fields) -> Cooperative:
    return coop.cooperative_create(
        actor=None,
        village=village(code),
        latitude=Decimal(lat) if lat else None,
        longitude=Decimal(lon) if lon else None,
        **fields,
    )


def place(cooperative, kind, lat, lon, *, active=True, name="Gerai") -> Location:
    return Location.objects.create(
        cooperative=cooperative,
        kind=kind,
        name=name,
        village_id=cooperative.village_id,
        latitude=Decimal(lat) if lat else None,
        longitude=Decimal(lon) if lon else None,
        is_active=active,
    )


def display(region: str, lat, lon, *, name="Galeri Bandara", active=True) -> DisplayPoint:
    org = Organization.objects.create(kind=OrgKind.DISPLAY, name=f"Operator {name}", region_id=region[:5])
    point = DisplayPoint.objects.create(
        operator=org,
        name=name,
        slug=name.lower().replace(" ", "-"),
        kind=DisplayKind.AIRPORT,
        region_id=region,
        latitude=Decimal(lat) if lat else None,
        longitude=Decimal(lon) if lon else None,
        is_active=active,
    )
    # Its shelf: a Location of kind "display" that must not be shown a second time.
    Location.objects.create(
        display_point=point,
        kind=LocationKind.DISPLAY,
        name=name,
        village_id=region if region.count(".") == 3 else JAHAB,
        latitude=point.latitude,
        longitude=point.longitude,
    )
    return point


@pytest.fixture
def world(regions, kukar_admin):
    return build_world(kukar_admin)


def build_world(kukar_admin) -> Cooperative:
    """Kutai Kartanegara: two located cooperatives in Tenggarong (one at stage Socialisation), one
    in Muara Muntai, one without a location and one with only a latitude; an outlet, a warehouse
    without a location and a closed one; a display point at the regency's level and one without a
    location. Balikpapan: one cooperative. Sikka: one cooperative."""
    jahab = located(JAHAB, "-0.420000", "116.980000")
    advance(admin=kukar_admin, cooperative=jahab, stage="sosialisasi")
    located(LOA_IPUH, "-0.440000", "117.000000")
    located(MUARA_MUNTAI, "-0.600000", "116.500000")
    located(BUKIT_BIRU, None, None)
    half = located("64.02.06.1004", None, None)
    # The registry asks for both; a row written another way (an old import) may hold only one.
    Cooperative.objects.filter(pk=half.pk).update(latitude=Decimal("-0.45"))
    place(jahab, LocationKind.OUTLET, "-0.421000", "116.981000", name="Gerai Pasar Tangga Arung")
    place(jahab, LocationKind.WAREHOUSE, None, None, name="Gudang")
    place(jahab, LocationKind.OUTLET, "-0.422000", "116.982000", active=False, name="Gerai Lama")
    place(half, LocationKind.OUTLET, None, "116.9", name="Gerai Tanpa Lintang")
    display("64.02", "-0.480000", "117.020000", name="Galeri Bandara")
    display("64.02", None, None, name="Galeri Tanpa Titik")
    located(BALIKPAPAN, "-1.240000", "116.850000")
    located(MASABEWA, "-8.600000", "122.200000")
    return jahab


def by_code(data) -> dict:
    return {area.code: area for area in data.areas}


def test_the_nation_map_has_one_marker_per_regency_with_located_places(world):
    data = map_get(user=None)

    assert data.aggregated and data.points == []
    areas = by_code(data)
    assert set(areas) == {"64.02", "64.71", "53.07"}
    kukar = areas["64.02"]
    # Three located cooperatives (not the one without a location, nor the one with half of it),
    # one open outlet with a location, one display point with a location.
    assert (kukar.cooperatives, kukar.outlets, kukar.displays, kukar.count) == (3, 1, 1, 5)
    assert kukar.stages == {"sosialisasi": 1, "none": 2}
    assert kukar.stage == "none" and kukar.colour == STAGE_COLOURS["none"]
    assert kukar.name == "Kabupaten Kutai Kartanegara"
    # The marker stands at the mean of its five places.
    assert kukar.latitude == pytest.approx((-0.42 - 0.44 - 0.6 - 0.421 - 0.48) / 5)
    assert kukar.longitude == pytest.approx((116.98 + 117.0 + 116.5 + 116.981 + 117.02) / 5)
    assert areas["53.07"].count == 1
    assert data.cooperatives_located == 5
    assert data.cooperatives_registered == 7  # the rollup counts every registered one


def test_a_province_map_aggregates_its_own_regencies_only(world):
    data = map_get(user=None, code="64")

    assert data.aggregated
    areas = by_code(data)
    assert set(areas) == {"64.02", "64.71"}
    assert areas["64.02"].count == 5 and areas["64.71"].count == 1
    assert [a.name for a in data.ancestors] == []


def test_a_regency_map_shows_each_located_place(world):
    with translation.override("en"):
        data = map_get(user=None, code="64.02")

    assert not data.aggregated and not data.capped
    names = [(p.kind, p.name) for p in data.points]
    assert names == [
        ("cooperative", "Koperasi Desa Merah Putih Perian"),  # in Muara Muntai
        ("cooperative", "Koperasi Kelurahan Merah Putih Jahab"),
        ("cooperative", "Koperasi Kelurahan Merah Putih Loa Ipuh"),
        ("outlet", "Gerai Pasar Tangga Arung"),
        ("display", "Galeri Bandara"),
    ]
    jahab = data.points[1]
    assert (jahab.stage, jahab.colour, jahab.url) == (
        "sosialisasi",
        STAGE_COLOURS["sosialisasi"],
        "/k/6402061001/",
    )
    outlet = data.points[3]
    assert (outlet.stage, outlet.cooperative, outlet.url) == ("sosialisasi", jahab.name, "/k/6402061001/")
    shown = data.points[4]
    assert (shown.stage, shown.url, shown.display_kind) == ("", "/titik-pajang/galeri-bandara/", "Airport")


def test_a_district_and_a_village_map_show_only_their_own_places(world):
    district = map_get(user=None, code="64.02.06")
    assert [p.region_code for p in district.points] == [JAHAB, LOA_IPUH, JAHAB]
    assert [p.name for p in map_get(user=None, code=JAHAB).points] == [
        "Koperasi Kelurahan Merah Putih Jahab",
        "Gerai Pasar Tangga Arung",
    ]
    assert map_get(user=None, code=BUKIT_BIRU).points == []


def test_places_without_both_coordinates_are_never_on_the_map(world):
    everywhere = [p.name for p in map_get(user=None, code="64.02").points]

    for missing in ("Bukit Biru", "Gerai Tanpa Lintang", "Gudang", "Galeri Tanpa Titik", "Gerai Lama"):
        assert not any(missing in name for name in everywhere)
    assert map_get(user=None, code="64.02.06.1004").points == []


def test_the_points_are_capped_and_the_map_says_so(world, monkeypatch):
    monkeypatch.setattr(selectors_map, "POINT_CAP", 2)

    data = map_get(user=None, code="64.02")

    assert data.capped and data.cap == 2 and len(data.points) == 2
    assert data.feature_collection()["properties"]["capped"] is True
    monkeypatch.setattr(selectors_map, "POINT_CAP", 5)
    assert not map_get(user=None, code="64.02").capped


def test_the_cap_counts_outlets_and_display_points_too(world, monkeypatch):
    monkeypatch.setattr(selectors_map, "POINT_CAP", 4)

    data = map_get(user=None, code="64.02")

    assert data.capped and [p.kind for p in data.points] == ["cooperative"] * 3 + ["outlet"]


def test_the_geojson_is_a_feature_collection_of_points_longitude_first(world):
    collection = map_get(user=None, code="64.02.06").feature_collection()

    assert collection["type"] == "FeatureCollection"
    assert collection["properties"] == {
        "region": {"code": "64.02.06", "name": "Tenggarong", "level": 3},
        "aggregated": False,
        "count": 3,
        "capped": False,
        "cap": 5000,
    }
    first = collection["features"][0]
    assert first["type"] == "Feature"
    assert first["geometry"] == {"type": "Point", "coordinates": [116.98, -0.42]}
    assert first["properties"]["name"] == "Koperasi Kelurahan Merah Putih Jahab"
    assert first["properties"]["kind"] == "cooperative"
    assert first["properties"]["stage"] == "sosialisasi"
    assert first["properties"]["colour"] == STAGE_COLOURS["sosialisasi"]
    assert first["properties"]["url"] == "/k/6402061001/"


def test_an_area_feature_carries_its_count_and_stage_mix(world):
    features = map_get(user=None, code="64").feature_collection()["features"]

    kukar = next(f for f in features if f["properties"]["code"] == "64.02")
    assert kukar["properties"]["kind"] == "area"
    assert kukar["properties"]["count"] == 5
    assert kukar["properties"]["stages"] == {"none": 2, "sosialisasi": 1}
    assert kukar["properties"]["url"] == "/peta/64.02/"


def test_the_nation_map_reads_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    # The rollup's count, cooperatives, outlets and display points grouped by regency, the names.
    with django_assert_max_num_queries(5):
        map_get(user=None)
    with django_assert_max_num_queries(6):  # and the province with its ancestors
        map_get(user=None, code="64")
    with django_assert_max_num_queries(5):  # region, count, cooperatives, outlets, display points
        map_get(user=None, code="64.02")


def test_a_bad_or_unknown_code_is_refused(world):
    with pytest.raises(DomainError):
        map_get(user=None, code="not-a-code")
    with pytest.raises(NotFound):
        map_get(user=None, code="99.99")
