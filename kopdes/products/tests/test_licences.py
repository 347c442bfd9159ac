from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import person
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied
from kopdes.products import selectors_licences as sel
from kopdes.products import services_licences as services
from kopdes.products.choices import Category, LicenceStatus, LicenceType, ProductStatus
from kopdes.products.models import Licence
from kopdes.products.tasks import licences_daily
from kopdes.products.tests.factories import make_product

TODAY = dt.date(2026, 5, 4)
AFTER_HALAL = dt.date(2026, 10, 17)
PDF = b"%PDF-1.4 test"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def product(regions):
    return make_product(category=Category.PROCESSED_FOOD)


@pytest.fixture
def producer_user(product):
    return person(Role.PRODUCER, org=product.producer.organization)


@pytest.fixture
def ketua(product):
    return person(Role.KETUA, org=product.cooperative.organization, email="ketua@example.id")


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


def issue(actor, product, licence_type, *, expires_on=None, issued_on=dt.date(2025, 1, 1)):
    return services.licence_set(
        actor=actor,
        product=product,
        licence_type=licence_type,
        number=f"{licence_type}-1",
        issuer="Dinas",
        issued_on=issued_on,
        expires_on=expires_on,
        status=LicenceStatus.ISSUED,
    )


def test_processed_food_needs_nib_and_spp_irt_and_halal_only_from_october_2026(regions):
    before = sel.required_licences(category=Category.PROCESSED_FOOD, on_date=TODAY)
    after = sel.required_licences(category=Category.PROCESSED_FOOD, on_date=AFTER_HALAL)
    assert before == [[LicenceType.NIB], [LicenceType.SPP_IRT]]
    assert after == [*before, [LicenceType.HALAL]]


def test_a_beverage_needs_spp_irt_or_bpom_md_as_alternatives(regions):
    groups = sel.required_licences(category=Category.BEVERAGE, on_date=TODAY)
    assert sorted([LicenceType.SPP_IRT, LicenceType.BPOM_MD]) in [sorted(g) for g in groups]


def test_a_beverage_with_bpom_md_instead_of_spp_irt_misses_nothing_before_the_halal_date(regions):
    product = make_product(category=Category.BEVERAGE)
    actor = person(Role.PRODUCER, org=product.producer.organization)
    issue(actor, product, LicenceType.NIB)
    issue(actor, product, LicenceType.BPOM_MD)
    assert sel.missing_licences(product, TODAY) == []
    assert sel.missing_licences(product, AFTER_HALAL) == [[LicenceType.HALAL]]


def test_handicrafts_need_only_an_nib(regions):
    assert sel.required_licences(category=Category.CRAFTS, on_date=AFTER_HALAL) == [[LicenceType.NIB]]


def test_the_producer_sets_a_licence_and_a_second_set_updates_the_same_row(product, producer_user):
    licence = issue(producer_user, product, LicenceType.NIB)
    again = services.licence_set(
        actor=producer_user,
        product=product,
        licence_type=LicenceType.NIB,
        number="1234567890123",
        issuer="OSS",
        issued_on=dt.date(2025, 1, 1),
        expires_on=None,
        status=LicenceStatus.ISSUED,
        document=SimpleUploadedFile("nib.pdf", PDF),
    )
    assert again.pk == licence.pk and Licence.objects.filter(product=product).count() == 1
    assert again.document.name.endswith(".pdf")
    assert AuditEvent.objects.filter(action="products.licence.update", object_id=str(licence.pk)).exists()


def test_an_expiry_before_the_issue_date_is_refused_on_expires_on_and_nothing_is_saved(
    product, producer_user
):
    with pytest.raises(DomainError) as caught:
        issue(producer_user, product, LicenceType.NIB, expires_on=dt.date(2024, 1, 1))
    assert "expires_on" in caught.value.fields
    assert not Licence.objects.exists()


def test_an_issued_licence_needs_a_number_and_an_issue_date(product, producer_user):
    with pytest.raises(DomainError) as caught:
        services.licence_set(
            actor=producer_user, product=product, licence_type=LicenceType.NIB, status=LicenceStatus.ISSUED
        )
    assert set(caught.value.fields) == {"number", "issued_on"}


def test_a_document_that_is_not_a_pdf_or_image_is_refused(product, producer_user):
    with pytest.raises(DomainError) as caught:
        services.licence_set(
            actor=producer_user,
            product=product,
            licence_type=LicenceType.NIB,
            document=SimpleUploadedFile("x.pdf", b"<html>"),
        )
    assert "document" in caught.value.fields


def test_a_too_large_document_is_refused(product, producer_user):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (5 * 1024 * 1024))
    with pytest.raises(DomainError):
        services.licence_set(actor=producer_user, product=product, licence_type=LicenceType.NIB, document=big)


def test_officers_and_admins_covering_it_may_set_licences_but_others_may_not(
    product, ketua, kukar_admin, regions
):
    issue(ketua, product, LicenceType.NIB)
    issue(kukar_admin, product, LicenceType.SPP_IRT)
    pengawas = person(Role.PENGAWAS, org=product.cooperative.organization)
    other = person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")
    other_producer = person(Role.PRODUCER, org=make_product().producer.organization)
    for outsider in (pengawas, other, other_producer, None):
        with pytest.raises(PolicyDenied):
            issue(outsider, product, LicenceType.HALAL)


def test_an_issued_licence_past_its_date_counts_as_expired(product, producer_user):
    licence = issue(producer_user, product, LicenceType.NIB, expires_on=dt.date(2030, 1, 1))
    assert sel.effective_status(licence, dt.date(2030, 1, 1)) == LicenceStatus.ISSUED
    assert sel.effective_status(licence, dt.date(2030, 1, 2)) == LicenceStatus.EXPIRED


def _licensed_curated(product, actor):
    product.status = ProductStatus.CURATED
    product.save()
    issue(actor, product, LicenceType.NIB)
    issue(actor, product, LicenceType.SPP_IRT, expires_on=dt.date(2030, 1, 1))
    issue(actor, product, LicenceType.HALAL)


def test_a_curated_product_with_every_licence_becomes_ready_and_it_is_audited(product, producer_user):
    _licensed_curated(product, producer_user)
    services.product_mark_ready(actor=producer_user, product=product)
    product.refresh_from_db()
    assert product.status == ProductStatus.READY
    event = AuditEvent.objects.get(action="products.product.status", object_id=str(product.pk))
    assert event.changes == {"status": ["curated", "ready"]}


def test_marking_ready_lists_the_missing_licences(product, producer_user):
    product.status = ProductStatus.CURATED
    product.save()
    issue(producer_user, product, LicenceType.NIB)
    with pytest.raises(DomainError) as caught:
        services.product_mark_ready(actor=producer_user, product=product)
    assert caught.value.code == "licences_missing"
    assert any("SPP-IRT" in name for name in caught.value.fields["licences"])
    product.refresh_from_db()
    assert product.status == ProductStatus.CURATED


def test_an_uncurated_product_cannot_be_marked_ready(product, producer_user):
    with pytest.raises(DomainError) as caught:
        services.product_mark_ready(actor=producer_user, product=product)
    assert caught.value.code == "not_curated"


def test_a_ready_product_cannot_be_marked_ready_twice(product, producer_user):
    _licensed_curated(product, producer_user)
    services.product_mark_ready(actor=producer_user, product=product)
    with pytest.raises(Conflict):
        services.product_mark_ready(actor=producer_user, product=product)


def test_an_outsider_cannot_mark_a_product_ready(product, producer_user, regions):
    _licensed_curated(product, producer_user)
    with pytest.raises(PolicyDenied):
        services.product_mark_ready(actor=person(Role.BUYER), product=product)


def test_the_daily_job_expires_licences_and_takes_the_product_off_the_market(product, producer_user):
    _licensed_curated(product, producer_user)
    services.product_mark_ready(actor=producer_user, product=product)
    assert services.licences_expire(on_date=dt.date(2030, 1, 2)) == {"expired": 1, "unready": 1}
    product.refresh_from_db()
    assert product.status == ProductStatus.CURATED
    assert Licence.objects.get(licence_type=LicenceType.SPP_IRT).status == LicenceStatus.EXPIRED
    assert services.licences_expire(on_date=dt.date(2030, 1, 2)) == {"expired": 0, "unready": 0}


def test_reminders_go_to_officers_at_60_and_14_days_and_on_expiry_once_each(product, producer_user, ketua):
    no_email = person(Role.BENDAHARA, org=product.cooperative.organization, email="")
    assert no_email.email == ""
    issue(producer_user, product, LicenceType.SPP_IRT, expires_on=dt.date(2026, 7, 1))
    mail.outbox.clear()
    assert services.licence_reminders_send(on_date=dt.date(2026, 4, 1))["mails"] == 0  # 91 days ahead
    assert services.licence_reminders_send(on_date=dt.date(2026, 5, 2))["mails"] == 1  # 60 days
    assert mail.outbox[-1].to == ["ketua@example.id"]
    assert "SPP-IRT" in mail.outbox[-1].subject
    assert services.licence_reminders_send(on_date=dt.date(2026, 5, 3))["mails"] == 0
    assert services.licence_reminders_send(on_date=dt.date(2026, 6, 17))["mails"] == 1  # 14 days
    assert services.licence_reminders_send(on_date=dt.date(2026, 6, 20))["mails"] == 0
    assert services.licence_reminders_send(on_date=dt.date(2026, 7, 2))["mails"] == 1  # expired
    assert services.licence_reminders_send(on_date=dt.date(2026, 7, 9))["mails"] == 0
    assert len(mail.outbox) == 3


def test_a_renewed_licence_is_reminded_afresh(product, producer_user, ketua):
    issue(producer_user, product, LicenceType.SPP_IRT, expires_on=dt.date(2026, 7, 1))
    services.licence_reminders_send(on_date=dt.date(2026, 6, 20))
    issue(producer_user, product, LicenceType.SPP_IRT, expires_on=dt.date(2026, 8, 1))
    mail.outbox.clear()
    assert services.licence_reminders_send(on_date=dt.date(2026, 6, 21))["mails"] == 1


def test_the_command_and_the_task_run_the_daily_job_idempotently(product, producer_user, ketua):
    issue(producer_user, product, LicenceType.NIB, expires_on=dt.date(2030, 6, 1))
    mail.outbox.clear()
    out = io.StringIO()
    call_command("send_licence_reminders", "--date", "2030-06-02", stdout=out)
    assert "expired=1" in out.getvalue() and "mails=1" in out.getvalue()
    result = licences_daily.call("2030-06-02")
    assert result["expired"] == 0 and result["mails"] == 0
    assert len(mail.outbox) == 1
