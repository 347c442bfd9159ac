"""Catalog services: potential, producers, products with versions and photos, and who may write them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.errors import DomainError
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied
from kopdes.products import selectors_catalog as selectors
from kopdes.products import services_catalog as services
from kopdes.products.choices import Category, Line, ProducerKind, ProductStatus, Sector
from kopdes.products.models import Potential, Producer, ProductVersion
from kopdes.products.tests.factories import cooperative_for, make_producer, make_product
from kopdes.regions.models import Region

JAHAB = "64.02.06.1001"
LOA_IPUH = "64.02.06.1002"
MASABEWA = "53.07.01.2001"


def village(code: str) -> Region:
    return Region.objects.get(code=code)


def png(width: int = 40, height: int = 30, name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (179, 0, 27)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def coop(regions):
    return cooperative_for(JAHAB)


@pytest.fixture
def ketua(coop):
    return person(Role.KETUA, region=JAHAB, org=coop.organization)


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")


# --- Potential --------------------------------------------------------------------------------


def test_an_officer_records_potential_and_a_second_record_of_the_same_commodity_updates_it(ketua):
    first = services.potential_record(
        actor=ketua,
        village=village(JAHAB),
        sector=Sector.PLANTATION,
        commodity="Kopi ",
        yearly_volume="12,5",
        unit="ton",
    )
    again = services.potential_record(
        actor=ketua,
        village=village(JAHAB),
        sector=Sector.PLANTATION,
        commodity="KOPI",
        yearly_volume=14,
        unit="ton",
        season="Mei-Agustus",
    )
    assert again.pk == first.pk
    assert Potential.objects.count() == 1
    again.refresh_from_db()
    assert again.commodity_key == "kopi" and str(again.yearly_volume) == "14.00"
    assert again.surveyed_by == ketua
    assert AuditEvent.objects.filter(action="products.potential.update", object_id=str(again.pk)).exists()


def test_a_mentor_in_the_regency_records_potential_but_one_elsewhere_is_refused(regions):
    mentor = person(Role.MENTOR, scope="64.02")
    services.potential_record(actor=mentor, village=village(JAHAB), sector=Sector.FISHERY, commodity="Udang")
    other = person(Role.MENTOR, scope="53.07")
    with pytest.raises(PolicyDenied):
        services.potential_record(
            actor=other, village=village(JAHAB), sector=Sector.FISHERY, commodity="Ikan"
        )


def test_an_officer_of_another_cooperative_cannot_record_this_villages_potential(coop, regions):
    other = cooperative_for(LOA_IPUH)
    stranger = person(Role.KETUA, org=other.organization)
    with pytest.raises(PolicyDenied):
        services.potential_record(
            actor=stranger, village=village(JAHAB), sector=Sector.CRAFTS, commodity="Anyaman"
        )


def test_potential_refuses_a_negative_volume_a_volume_without_unit_and_a_future_survey(kukar_admin):
    for kwargs, field in (
        ({"yearly_volume": -1, "unit": "kg"}, "yearly_volume"),
        ({"yearly_volume": 5}, "unit"),
        ({"surveyed_on": dt.date.today() + dt.timedelta(days=3)}, "surveyed_on"),
        ({"sector": "moon"}, "sector"),
    ):
        args = {"sector": Sector.AGRICULTURE, "commodity": "Jagung", **kwargs}
        with pytest.raises(DomainError) as caught:
            services.potential_record(actor=kukar_admin, village=village(JAHAB), **args)
        assert field in caught.value.fields
    assert not Potential.objects.exists()


def test_potential_can_be_updated_and_gets_photos(kukar_admin, sikka_admin):
    potential = services.potential_record(
        actor=kukar_admin, village=village(JAHAB), sector=Sector.AGRICULTURE, commodity="Jagung"
    )
    services.potential_update(actor=kukar_admin, potential=potential, yearly_volume=30, unit="ton")
    potential.refresh_from_db()
    assert potential.yearly_volume == 30
    photo = services.potential_photo_add(actor=kukar_admin, potential=potential, image=png())
    assert photo.image.name.endswith(".png")
    with pytest.raises(PolicyDenied):
        services.potential_update(actor=sikka_admin, potential=potential, notes="x")


def test_the_regency_view_totals_volume_per_unit_and_finds_clusters_in_two_queries(
    kukar_admin, django_assert_max_num_queries
):
    for code, volume in ((JAHAB, 10), (LOA_IPUH, 5)):
        services.potential_record(
            actor=kukar_admin,
            village=village(code),
            sector=Sector.PLANTATION,
            commodity="Kopi",
            yearly_volume=volume,
            unit="ton",
        )
    services.potential_record(
        actor=kukar_admin, village=village(JAHAB), sector=Sector.CRAFTS, commodity="Tenun"
    )
    regency = village("64.02")
    with django_assert_max_num_queries(2):
        view = selectors.regency_potential(user=None, regency=regency)
    kopi = next(r for r in view.rows if r["commodity_key"] == "kopi")
    assert kopi["total"] == 15 and kopi["villages"] == 2
    assert [c.key for c in view.clusters] == ["kopi"]
    assert [code for code, _ in view.clusters[0].villages] == [JAHAB, LOA_IPUH]


# --- Producers --------------------------------------------------------------------------------


def test_a_managing_officer_registers_a_school_producer_in_the_seat_village_with_the_osop_line(ketua, coop):
    producer = services.producer_create(
        actor=ketua, cooperative=coop, kind=ProducerKind.SCHOOL, name="SLB Jahab", special_needs_school=True
    )
    assert producer.village_id == coop.village_id
    assert producer.organization.kind == "producer"
    product = services.product_create(
        actor=ketua, producer=producer, name="Keripik Pisang", category=Category.PROCESSED_FOOD, price=15_000
    )
    assert product.line == Line.OSOP


def test_the_cooperative_itself_is_a_producer_through_its_own_organization(ketua, coop):
    producer = services.producer_create(actor=ketua, cooperative=coop, kind=ProducerKind.COOPERATIVE)
    assert producer.organization_id == coop.organization_id and producer.name == coop.name
    with pytest.raises(DomainError):
        services.producer_create(actor=ketua, cooperative=coop, kind=ProducerKind.COOPERATIVE)


def test_a_producer_must_be_in_a_village_the_cooperative_serves(ketua, coop):
    with pytest.raises(DomainError) as caught:
        services.producer_create(
            actor=ketua,
            cooperative=coop,
            kind=ProducerKind.GROUP,
            name="KWT Mawar",
            village=village(LOA_IPUH),
        )
    assert caught.value.code == "village_not_served"
    assert not Producer.objects.exists()


def test_a_supervisor_or_an_admin_of_another_regency_cannot_register_producers(coop, sikka_admin):
    pengawas = person(Role.PENGAWAS, org=coop.organization)
    for actor in (pengawas, sikka_admin, None):
        with pytest.raises(PolicyDenied):
            services.producer_create(actor=actor, cooperative=coop, kind=ProducerKind.UMKM, name="UMKM A")


# --- Products ---------------------------------------------------------------------------------


@pytest.fixture
def producer(coop):
    return make_producer(JAHAB)


@pytest.fixture
def maker(producer):
    return person(Role.PRODUCER, org=producer.organization)


def test_a_producer_creates_a_draft_product_with_its_first_version_and_a_unique_slug(maker, producer):
    one = services.product_create(
        actor=maker,
        producer=producer,
        name="Kopi Jahab",
        category=Category.BEVERAGE,
        price=25_000,
        hs_code="0901.21",
        shelf_life_days=180,
        local_material_percent=90,
    )
    two = services.product_create(
        actor=maker, producer=producer, name="Kopi Jahab", category="beverage", price=1
    )
    assert one.status == ProductStatus.DRAFT and one.slug != two.slug and one.slug.startswith("kopi-jahab-")
    assert one.current_version.number == 1 and one.current_version.hs_code == "090121"
    assert one.regency_code == "64.02" and one.cooperative_id == producer.cooperative_id


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("local_material_percent", 101),
        ("shelf_life_days", 0),
        ("hs_code", "09a1"),
        ("hs_code", "123"),
        ("price", 0),
        ("category", "moon"),
    ],
)
def test_a_product_with_bad_values_is_refused_and_nothing_is_saved(maker, producer, field, value):
    fields = {"name": "Madu", "category": Category.HONEY, "price": 50_000, field: value}
    with pytest.raises(DomainError) as caught:
        services.product_create(actor=maker, producer=producer, **fields)
    assert field in caught.value.fields
    assert not ProductVersion.objects.exists()


def test_editing_an_unlocked_version_changes_it_in_place_and_audits_the_price(maker, producer):
    product = make_product(producer=producer)
    services.product_update(actor=maker, product=product, price=30_000, story="Dari kebun")
    product.refresh_from_db()
    assert product.versions.count() == 1 and product.current_version.price == 30_000
    event = AuditEvent.objects.get(action="products.product.price", object_id=str(product.pk))
    assert event.changes["price"] == [25_000, 30_000]


def test_editing_a_locked_version_makes_a_new_current_version_and_keeps_the_judged_one(maker, producer):
    product = make_product(producer=producer)
    judged = product.current_version
    judged.locked = True
    judged.save()
    services.product_update(actor=maker, product=product, price=27_500, name="Kopi Baru")
    product.refresh_from_db()
    judged.refresh_from_db()
    assert judged.price == 25_000 and judged.name != "Kopi Baru"
    assert product.current_version.number == 2 and product.current_version.price == 27_500
    assert product.current_version.description == judged.description and product.name == "Kopi Baru"
    assert not product.current_version.locked


def test_others_cannot_edit_a_product(producer, sikka_admin, coop, regions):
    product = make_product(producer=producer)
    other_maker = person(Role.PRODUCER, org=make_producer(JAHAB).organization)
    pengawas = person(Role.PENGAWAS, org=coop.organization)
    for actor in (other_maker, pengawas, sikka_admin, None):
        with pytest.raises(PolicyDenied):
            services.product_update(actor=actor, product=product, price=1)


def test_officers_and_admins_in_region_may_edit(producer, ketua, kukar_admin):
    product = make_product(producer=producer)
    services.product_update(actor=ketua, product=product, packaging="Botol")
    services.product_update(actor=kukar_admin, product=product, monthly_capacity=200)
    product.refresh_from_db()
    assert product.current_version.packaging == "Botol" and product.current_version.monthly_capacity == 200


def test_a_product_photo_is_shrunk_and_a_non_image_is_refused(maker, producer):
    product = make_product(producer=producer)
    photo = services.product_photo_add(actor=maker, product=product, image=png(3000, 2000))
    with Image.open(photo.image.path) as stored:
        assert max(stored.size) == 1600
    text = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    with pytest.raises(DomainError) as caught:
        services.product_photo_add(actor=maker, product=product, image=text)
    assert "image" in caught.value.fields
    services.product_photo_remove(actor=maker, photo=photo)
    assert not product.photos.exists()


def test_the_managed_list_holds_only_what_the_user_may_manage(maker, producer, ketua, sikka_admin):
    mine = make_product(producer=producer)
    other = make_product(producer=make_producer(JAHAB))
    assert list(selectors.products_managed(user=maker)) == [mine]
    assert set(selectors.products_managed(user=ketua)) == {mine, other}
    assert not selectors.products_managed(user=sikka_admin).exists()
