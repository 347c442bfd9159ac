from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from lokal import qris_crc
from PIL import Image

from kopdes.accounts.choices import Role
from kopdes.accounts.models import RoleAssignment
from kopdes.accounts.services import token_create
from kopdes.accounts.tests.factories import person
from kopdes.cooperatives import media, services
from kopdes.cooperatives.choices import Position, Stage, StageStatus, UnitKind, UnitStatus
from kopdes.cooperatives.models import (
    BusinessUnit,
    Cooperative,
    CooperativePhoto,
    Member,
    Officer,
    StageRecord,
    UnitPhoto,
)
from kopdes.core.models import AuditEvent
from kopdes.regions.models import Region

SEAT = "64.02.06.1001"
NEIGHBOUR = "64.02.06.1002"
FREE = "64.02.06.1003"
NIKS = [f"640206410190{n:04d}" for n in range(1, 30)]
SIXTEEN_DIGITS = re.compile(r"(?<![0-9a-f])\d{16}(?![0-9a-f])")  # a NIK, not a part of a hex token


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def png(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (179, 0, 27)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def static_qris() -> str:
    merchant = _tlv("00", "ID.CO.QRIS.WWW") + _tlv("01", "936000140000000001") + _tlv("02", "ID1234567890123")
    body = (
        _tlv("00", "01")
        + _tlv("01", "11")
        + _tlv("26", merchant + _tlv("03", "UMI"))
        + _tlv("52", "5411")
        + _tlv("53", "360")
        + _tlv("58", "ID")
        + _tlv("59", "KOPDES MP JAHAB")
        + _tlv("60", "KUTAI KARTANEGA")
        + "6304"
    )
    return body + qris_crc(body)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def api(client):
    """Call /api/v1/cooperatives… as `user` (with a bearer token), or anonymously."""
    tokens: dict[int, dict] = {}

    def call(method: str, path: str, user=None, data=None, *, multipart: bool = False):
        headers = {}
        if user is not None:
            if user.pk not in tokens:
                tokens[user.pk] = {"HTTP_AUTHORIZATION": f"Bearer {token_create(actor=user, name='t')[1]}"}
            headers = tokens[user.pk]
        url = "/api/v1/cooperatives" + path
        send = getattr(client, method)
        if method == "get" or multipart:
            return send(url, data or {}, **headers)
        return send(url, data or {}, content_type="application/json", **headers)

    return call


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")


@pytest.fixture
def coop(regions):
    return services.cooperative_create(actor=None, village=Region.objects.get(code=SEAT))


@pytest.fixture
def other_coop(regions):
    return services.cooperative_create(actor=None, village=Region.objects.get(code=NEIGHBOUR))


@pytest.fixture
def ketua(coop):
    return person(Role.KETUA, region=SEAT, org=coop.organization)


@pytest.fixture
def other_ketua(other_coop):
    return person(Role.KETUA, region=NEIGHBOUR, org=other_coop.organization)


@pytest.fixture
def village_head(regions):
    return person(Role.VILLAGE_HEAD, region=SEAT, scope=SEAT)


@pytest.fixture
def buyer(regions):
    return person(Role.BUYER)


@pytest.fixture
def world(coop, kukar_admin, ketua):
    """One of everything on `coop`: a stage record, an officer, a member and a unit."""
    record = services.stage_record(
        actor=ketua,
        cooperative=coop,
        stage=Stage.SOSIALISASI,
        happened_on=dt.date(2025, 6, 1),
        evidence=SimpleUploadedFile("notulen.pdf", b"%PDF-1.4 minutes", content_type="application/pdf"),
    )
    secretary = person(region=SEAT, phone="+6281399990001")
    officer = services.officer_appoint(
        actor=kukar_admin,
        cooperative=coop,
        user=secretary,
        position=Position.SEKRETARIS,
        term_start=dt.date(2025, 7, 1),
    )
    member = services.member_add(
        actor=kukar_admin, cooperative=coop, nik=NIKS[0], full_name="Siti", joined_on=dt.date(2025, 8, 1)
    )
    unit = services.unit_create(actor=kukar_admin, cooperative=coop, kind=UnitKind.KANTOR)
    photo = media.cooperative_photo_add(actor=kukar_admin, cooperative=coop, image=png())
    unit_photo = media.unit_photo_add(actor=kukar_admin, unit=unit, image=png())
    return {
        "coop": coop.pk,
        "record": record.pk,
        "officer": officer.pk,
        "member": member.pk,
        "unit": unit.pk,
        "photo": photo.pk,
        "unit_photo": unit_photo.pk,
    }


# Every endpoint that acts on one cooperative's data, with a body that would pass validation.
ENDPOINTS = [
    ("get", "/{coop}", None),
    ("patch", "/{coop}", {"address": "Jl. Baru 1"}),
    ("get", "/{coop}/stages", None),
    ("post", "/{coop}/stages", {"stage": "sosialisasi", "happened_on": "2025-06-01"}),
    ("post", "/stages/{record}/verify", None),
    ("post", "/stages/{record}/send-back", {"reason": "Berita acara belum ditandatangani."}),
    ("post", "/{coop}/roll-back", {"to_stage": "sosialisasi", "reason": "Salah input."}),
    ("get", "/{coop}/officers", None),
    (
        "post",
        "/{coop}/officers",
        {"phone": "0813-9999-0001", "position": "bendahara", "term_start": "2025-07-01"},
    ),
    ("post", "/officers/{officer}/end", None),
    ("get", "/{coop}/members", None),
    ("post", "/{coop}/members", {"nik": NIKS[5], "full_name": "Ani", "joined_on": "2025-08-01"}),
    ("get", "/members/{member}", None),
    ("patch", "/members/{member}", {"full_name": "Siti Aminah"}),
    ("get", "/{coop}/units", None),
    ("post", "/{coop}/units", {"kind": "klinik"}),
    ("patch", "/units/{unit}", {"name": "Kantor Pusat"}),
    ("get", "/{coop}/seven-units", None),
    ("get", "/stages/{record}/evidence", None),
    ("get", "/{coop}/photos", None),
    ("post", "/{coop}/photos", "PHOTO"),
    ("delete", "/photos/{photo}", None),
    ("post", "/units/{unit}/photos", "PHOTO"),
    ("delete", "/units/photos/{unit_photo}", None),
]
ENDPOINT_IDS = [f"{m.upper()} {p}" for m, p, _ in ENDPOINTS]


def _send(api, world, method, path, body, user):
    multipart = method == "post" and (path.endswith("/stages") or body == "PHOTO")
    if body == "PHOTO":
        body = {"image": png(), "caption": "Depan"}
    return api(method, path.format(**world), user, body, multipart=multipart)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("outsider", ["other_ketua", "sikka_admin", "buyer"])
def test_outsiders_are_refused_every_operation_on_a_cooperative(
    request, api, world, method, path, body, outsider
):
    user = request.getfixturevalue(outsider)
    before = (StageRecord.objects.count(), Officer.objects.filter(ended_at__isnull=True).count())

    response = _send(api, world, method, path, body, user)

    error_of(response, 403, "forbidden")
    assert (StageRecord.objects.count(), Officer.objects.filter(ended_at__isnull=True).count()) == before
    assert Member.objects.get(pk=world["member"]).full_name == "Siti"
    assert (CooperativePhoto.objects.count(), UnitPhoto.objects.count()) == (1, 1)
    assert AuditEvent.objects.filter(action="access.denied", actor=user).exists()


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_without_credentials_every_operation_answers_401(api, world, method, path, body):
    error_of(_send(api, world, method, path, body, None), 401, "not_authenticated")


@pytest.mark.parametrize(("method", "path"), [("get", ""), ("post", ""), ("get", "/my-memberships")])
def test_without_credentials_the_registry_answers_401(api, regions, method, path):
    body = {"village_code": FREE} if method == "post" else None
    error_of(api(method, path, None, body), 401, "not_authenticated")


# --- The registry ---------------------------------------------------------------------------


def test_the_registry_lists_only_the_cooperatives_within_the_admins_regency(
    api, coop, other_coop, kukar_admin
):
    sikka = services.cooperative_create(actor=None, village=Region.objects.get(code="53.07.01.2001"))

    kukar = api("get", "", kukar_admin).json()

    assert kukar["count"] == 2
    assert {c["id"] for c in kukar["items"]} == {coop.pk, other_coop.pk}
    assert sikka.pk not in {c["id"] for c in kukar["items"]}


def test_an_officer_sees_only_their_own_cooperative_in_the_registry(api, coop, other_coop, ketua):
    body = api("get", "", ketua).json()

    assert [c["id"] for c in body["items"]] == [coop.pk]


def test_another_regencys_admin_finds_no_cooperative_there(api, coop, sikka_admin):
    body = api("get", "", sikka_admin).json()

    assert body == {"items": [], "count": 0}


def test_a_buyer_is_refused_the_registry(api, coop, buyer):
    error_of(api("get", "", buyer), 403, "forbidden")


def test_the_registry_is_paginated_and_filtered(api, kukar_admin, regions):
    for code in ("64.02.06.1001", "64.02.06.1002", "64.02.06.1003", "64.02.01.2001"):
        services.cooperative_create(actor=None, village=Region.objects.get(code=code), scheme="revitalize")
    first = Cooperative.objects.get(village_id=SEAT)
    services.stage_record(
        actor=kukar_admin, cooperative=first, stage=Stage.SOSIALISASI, happened_on=dt.date(2025, 6, 1)
    )

    page = api("get", "", kukar_admin, {"page_size": 2, "page": 2}).json()
    in_district = api("get", "", kukar_admin, {"region": "64.02.06"}).json()
    at_stage = api("get", "", kukar_admin, {"stage": "sosialisasi"}).json()
    not_started = api("get", "", kukar_admin, {"stage": "none"}).json()
    by_name = api("get", "", kukar_admin, {"q": "loa ipuh"}).json()
    by_scheme = api("get", "", kukar_admin, {"scheme": "new"}).json()

    assert page["count"] == 4 and len(page["items"]) == 2
    assert in_district["count"] == 3
    assert [c["village_code"] for c in at_stage["items"]] == [SEAT]
    assert not_started["count"] == 3
    assert [c["village_name"] for c in by_name["items"]] == ["Loa Ipuh"]
    assert by_scheme["count"] == 0


def test_the_registry_list_runs_a_fixed_number_of_queries(
    api, kukar_admin, regions, django_assert_max_num_queries
):
    villages = Region.objects.filter(code__startswith="64.02.06.", level=4).order_by("code")[:12]
    for village in villages:
        services.cooperative_create(actor=None, village=village)
    api("get", "", kukar_admin)  # the token is created and warmed

    with django_assert_max_num_queries(6):
        response = api("get", "", kukar_admin, {"page_size": 50})

    assert response.json()["count"] == 12


def test_a_regency_admin_registers_a_cooperative_with_the_proposed_name(api, kukar_admin):
    response = api(
        "post",
        "",
        kukar_admin,
        {
            "village_code": "6402061001",
            "scheme": "develop",
            "shared_village_codes": [NEIGHBOUR],
            "npwp": "01.234.567.8-901.000",
            "phone": "0812 3456 7890",
            "deed_date": "2025-09-01",
            "latitude": "-0.4167",
            "longitude": 116.9833,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Koperasi Kelurahan Merah Putih Jahab"
    assert body["slug"] == "6402061001" and body["public_url"] == "/k/6402061001/"
    assert body["shared_village_codes"] == [NEIGHBOUR]
    assert body["npwp"] == "0012345678901000" and body["phone"] == "+6281234567890"
    assert body["deed_date"] == "2025-09-01" and body["latitude"] == pytest.approx(-0.4167)
    assert body["scheme"] == "develop"


def test_an_officer_cannot_register_a_cooperative(api, ketua):
    error_of(api("post", "", ketua, {"village_code": FREE}), 403, "forbidden")
    assert not Cooperative.objects.filter(village_id=FREE).exists()


@pytest.mark.parametrize("outsider", ["sikka_admin", "buyer"])
def test_outsiders_cannot_register_a_cooperative_in_kukar(request, api, regions, outsider):
    response = api("post", "", request.getfixturevalue(outsider), {"village_code": FREE})

    error_of(response, 403, "forbidden")
    assert not Cooperative.objects.filter(village_id=FREE).exists()


def test_a_second_cooperative_for_a_village_is_a_conflict(api, coop, kukar_admin):
    error_of(api("post", "", kukar_admin, {"village_code": SEAT}), 409, "village_taken")
    error_of(
        api("post", "", kukar_admin, {"village_code": FREE, "shared_village_codes": [SEAT]}),
        409,
        "village_taken",
    )
    assert Cooperative.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"village_code": "64.02.99.9999"}, "village_code"),
        ({"village_code": FREE, "shared_village_codes": ["99.99"]}, "shared_village_codes"),
    ],
)
def test_an_unknown_village_is_a_clear_400_naming_the_field(api, kukar_admin, body, field):
    error = error_of(api("post", "", kukar_admin, body), 400, "unknown_region")

    assert error["fields"][field]
    assert not Cooperative.objects.exists()


def test_a_regency_is_not_a_village(api, kukar_admin):
    error = error_of(api("post", "", kukar_admin, {"village_code": "64.02"}), 400, "invalid")

    assert error["fields"]["village_code"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("npwp", "12.345"),
        ("phone", "12345"),
        ("qris_payload", "000201010211not-a-qris"),
        ("nib", "123"),
        ("latitude", "48.85"),
    ],
)
def test_invalid_identity_numbers_are_refused_with_the_field_named_and_nothing_saved(
    api, kukar_admin, field, value
):
    body = {"village_code": FREE, field: value}
    if field == "latitude":
        body["longitude"] = "2.35"

    error = error_of(api("post", "", kukar_admin, body), 400, "invalid")

    assert error["fields"][field]
    assert not Cooperative.objects.exists()
    assert not RoleAssignment.objects.filter(organization__isnull=False).exists()


def test_an_officer_reads_and_updates_their_cooperative(api, coop, ketua):
    read = api("get", f"/{coop.pk}", ketua)
    updated = api(
        "patch",
        f"/{coop.pk}",
        ketua,
        {"phone": "0812-1111-2222", "qris_payload": static_qris(), "description": "Profil", "ahu_date": None},
    )

    assert read.status_code == 200 and read.json()["name"] == coop.name
    assert updated.status_code == 200, updated.content
    assert updated.json()["phone"] == "+6281211112222"
    coop.refresh_from_db()
    assert coop.qris_payload == static_qris() and coop.description == "Profil"


@pytest.mark.parametrize(
    ("field", "value"), [("npwp", "99"), ("phone", "0000"), ("qris_payload", "x"), ("name", "")]
)
def test_an_invalid_update_changes_nothing(api, coop, ketua, field, value):
    error = error_of(
        api("patch", f"/{coop.pk}", ketua, {field: value, "address": "Jl. Baru"}), 400, "invalid"
    )

    assert error["fields"][field]
    coop.refresh_from_db()
    assert coop.address == "" and coop.name.startswith("Koperasi")


def test_an_unknown_cooperative_is_a_404(api, kukar_admin):
    error_of(api("get", "/999999", kukar_admin), 404, "unknown_cooperative")


# --- Formation ------------------------------------------------------------------------------


def test_the_formation_goes_stage_by_stage_with_verification(api, coop, ketua, village_head, kukar_admin):
    evidence = SimpleUploadedFile("notulen.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")

    recorded = api(
        "post",
        f"/{coop.pk}/stages",
        ketua,
        {"stage": "sosialisasi", "happened_on": "2025-06-01", "notes": "Balai desa", "evidence": evidence},
        multipart=True,
    )
    verified = api("post", f"/stages/{recorded.json()['id']}/verify", kukar_admin)
    musdesus_by_officer = api(
        "post",
        f"/{coop.pk}/stages",
        ketua,
        {"stage": "musdesus", "happened_on": "2025-06-10"},
        multipart=True,
    )
    musdesus = api(
        "post",
        f"/{coop.pk}/stages",
        village_head,
        {"stage": "musdesus", "happened_on": "2025-06-10"},
        multipart=True,
    )
    sent_back = api(
        "post", f"/stages/{musdesus.json()['id']}/send-back", kukar_admin, {"reason": "Daftar hadir kurang."}
    )
    history = api("get", f"/{coop.pk}/stages", ketua).json()

    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["status"] == "submitted" and recorded.json()["evidence_url"].endswith("/evidence")
    assert recorded.json()["recorded_by_id"] == ketua.pk
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    assert verified.json()["decided_by_id"] == kukar_admin.pk
    error_of(musdesus_by_officer, 403, "forbidden")
    assert musdesus.status_code == 201
    assert sent_back.status_code == 200 and sent_back.json()["reason"] == "Daftar hadir kurang."
    assert [(h["stage"], h["status"]) for h in history] == [
        ("sosialisasi", "verified"),
        ("musdesus", "sent_back"),
    ]
    coop.refresh_from_db()
    assert (coop.stage, coop.stage_status) == (Stage.MUSDESUS, StageStatus.SENT_BACK)


def test_a_stage_cannot_be_skipped(api, coop, kukar_admin):
    response = api(
        "post",
        f"/{coop.pk}/stages",
        kukar_admin,
        {"stage": "akta_notaris", "happened_on": "2025-06-01"},
        multipart=True,
    )

    error = error_of(response, 400, "stage_order")
    assert error["fields"]["stage"]
    assert not StageRecord.objects.exists()


def test_a_stage_cannot_go_backwards(api, coop, kukar_admin):
    record = services.stage_record(
        actor=kukar_admin, cooperative=coop, stage=Stage.SOSIALISASI, happened_on=dt.date(2025, 6, 1)
    )
    services.stage_verify(actor=kukar_admin, record=record)
    services.stage_record(
        actor=kukar_admin, cooperative=coop, stage=Stage.MUSDESUS, happened_on=dt.date(2025, 6, 2)
    )
    services.stage_verify(actor=kukar_admin, record=StageRecord.objects.get(stage=Stage.MUSDESUS))

    response = api(
        "post",
        f"/{coop.pk}/stages",
        kukar_admin,
        {"stage": "sosialisasi", "happened_on": "2025-06-03"},
        multipart=True,
    )

    error_of(response, 400, "stage_order")


def test_a_stage_with_a_date_that_is_not_iso_is_a_validation_error(api, coop, kukar_admin):
    response = api(
        "post",
        f"/{coop.pk}/stages",
        kukar_admin,
        {"stage": "sosialisasi", "happened_on": "1/6/2025"},
        multipart=True,
    )

    error = error_of(response, 422, "validation_error")
    assert "happened_on" in error["fields"]


def test_sending_back_needs_a_reason(api, world, kukar_admin):
    error = error_of(
        api("post", f"/stages/{world['record']}/send-back", kukar_admin, {"reason": "  "}), 400, "invalid"
    )

    assert error["fields"]["reason"]
    assert StageRecord.objects.get(pk=world["record"]).status == StageStatus.SUBMITTED


def test_an_officer_cannot_verify_their_own_stage(api, world, ketua):
    error_of(api("post", f"/stages/{world['record']}/verify", ketua), 403, "forbidden")


def test_a_decided_stage_cannot_be_decided_again(api, world, kukar_admin):
    api("post", f"/stages/{world['record']}/verify", kukar_admin)

    error_of(api("post", f"/stages/{world['record']}/verify", kukar_admin), 400, "stage_decided")


def test_the_regency_rolls_a_cooperative_back_with_a_reason(api, coop, kukar_admin, ketua):
    for stage, day in ((Stage.SOSIALISASI, 1), (Stage.MUSDESUS, 2)):
        record = services.stage_record(
            actor=kukar_admin, cooperative=coop, stage=stage, happened_on=dt.date(2025, 6, day)
        )
        services.stage_verify(actor=kukar_admin, record=record)

    by_officer = api("post", f"/{coop.pk}/roll-back", ketua, {"to_stage": "sosialisasi", "reason": "Ulang"})
    without_reason = api(
        "post", f"/{coop.pk}/roll-back", kukar_admin, {"to_stage": "sosialisasi", "reason": ""}
    )
    forward = api("post", f"/{coop.pk}/roll-back", kukar_admin, {"to_stage": "nib", "reason": "Maju"})
    rolled = api(
        "post",
        f"/{coop.pk}/roll-back",
        kukar_admin,
        {"to_stage": "sosialisasi", "reason": "Musdesus diulang."},
    )

    error_of(by_officer, 403, "forbidden")
    assert error_of(without_reason, 400, "invalid")["fields"]["reason"]
    assert error_of(forward, 400, "invalid")["fields"]["to_stage"]
    assert rolled.status_code == 201 and rolled.json()["status"] == "rolled_back"
    coop.refresh_from_db()
    assert (coop.stage, coop.stage_status) == (Stage.SOSIALISASI, StageStatus.VERIFIED)


# --- Officers -------------------------------------------------------------------------------


def test_an_admin_appoints_an_officer_by_phone_who_gets_the_role(api, coop, kukar_admin):
    target = person(region=SEAT, phone="+6281377778888")

    response = api(
        "post",
        f"/{coop.pk}/officers",
        kukar_admin,
        {
            "phone": "0813-7777-8888",
            "position": "bendahara",
            "term_start": "2025-07-01",
            "term_end": "2030-06-30",
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["user_id"] == target.pk and response.json()["position"] == "bendahara"
    assert RoleAssignment.objects.filter(
        user=target, role=Role.BENDAHARA, organization=coop.organization, revoked_at__isnull=True
    ).exists()


def test_the_chair_appoints_by_account_number_and_ends_a_term(api, coop, ketua):
    target = person(region=SEAT)

    appointed = api(
        "post",
        f"/{coop.pk}/officers",
        ketua,
        {"user_id": target.pk, "position": "pengawas", "term_start": "2025-07-01"},
    )
    listed = api("get", f"/{coop.pk}/officers", ketua).json()
    ended = api("post", f"/officers/{appointed.json()['id']}/end", ketua)
    after = api("get", f"/{coop.pk}/officers", ketua).json()
    everyone = api("get", f"/{coop.pk}/officers", ketua, {"include_ended": "true"}).json()

    assert appointed.status_code == 201
    assert [o["full_name"] for o in listed] == [target.full_name]
    assert ended.status_code == 200 and ended.json()["ended_at"]
    assert after == [] and len(everyone) == 1
    assert not RoleAssignment.objects.filter(
        user=target, revoked_at__isnull=True, role=Role.PENGAWAS
    ).exists()


def test_the_secretary_cannot_appoint_officers(api, coop):
    secretary = person(Role.SEKRETARIS, region=SEAT, org=coop.organization)
    target = person(region=SEAT)

    response = api(
        "post",
        f"/{coop.pk}/officers",
        secretary,
        {"user_id": target.pk, "position": "ketua", "term_start": "2025-07-01"},
    )

    error_of(response, 403, "forbidden")
    assert not Officer.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"), [({"phone": "0813-0000-0000"}, "phone"), ({"user_id": 999999}, "user_id")]
)
def test_appointing_someone_without_an_account_is_a_clear_400(api, coop, kukar_admin, body, field):
    response = api(
        "post", f"/{coop.pk}/officers", kukar_admin, {**body, "position": "ketua", "term_start": "2025-07-01"}
    )

    assert error_of(response, 400, "unknown_user")["fields"][field]


def test_a_term_cannot_end_before_it_starts(api, coop, kukar_admin):
    target = person(region=SEAT)

    response = api(
        "post",
        f"/{coop.pk}/officers",
        kukar_admin,
        {"user_id": target.pk, "position": "ketua", "term_start": "2025-07-01", "term_end": "2025-01-01"},
    )

    assert error_of(response, 400, "invalid")["fields"]["term_end"]


# --- Members --------------------------------------------------------------------------------


def test_an_officer_registers_a_member_and_only_the_masked_nik_comes_back(api, coop, ketua):
    response = api(
        "post",
        f"/{coop.pk}/members",
        ketua,
        {
            "nik": NIKS[1],
            "full_name": "Ani",
            "phone": "0812-5555-0001",
            "village_code": NEIGHBOUR,
            "joined_on": "2025-08-01",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["nik_masked"] == "6402********0002"
    assert "nik" not in body
    assert not SIXTEEN_DIGITS.search(response.content.decode())
    assert body["village_code"] == NEIGHBOUR and body["phone"] == "+6281255550001"
    assert Member.objects.get(pk=body["id"]).nik == NIKS[1]


def test_member_output_never_contains_a_full_nik(api, coop, ketua, kukar_admin):
    member_user = person(region=SEAT)
    for n, nik in enumerate(NIKS[:5]):
        services.member_add(
            actor=kukar_admin,
            cooperative=coop,
            nik=nik,
            full_name=f"Anggota {n}",
            joined_on=dt.date(2025, 8, 1),
            user=member_user if n == 0 else None,
        )
    first = Member.objects.get(nik=NIKS[0])

    texts = [
        api("get", f"/{coop.pk}/members", ketua).content,
        api("get", f"/{coop.pk}/members", ketua, {"q": NIKS[2]}).content,
        api("get", f"/members/{first.pk}", ketua).content,
        api("patch", f"/members/{first.pk}", ketua, {"phone": "0812-5555-0009"}).content,
        api("get", "/my-memberships", member_user).content,
    ]

    for text in texts:
        assert b"6402********" in text
        assert not SIXTEEN_DIGITS.search(text.decode()), text


def test_members_are_paginated_and_filtered(api, coop, ketua, kukar_admin):
    for n, nik in enumerate(NIKS[:5]):
        services.member_add(
            actor=kukar_admin,
            cooperative=coop,
            nik=nik,
            full_name=f"Anggota {n}",
            joined_on=dt.date(2025, 8, 1),
        )
    services.member_update(actor=kukar_admin, member=Member.objects.get(nik=NIKS[4]), status="resigned")

    page = api("get", f"/{coop.pk}/members", ketua, {"page_size": 2, "page": 3}).json()
    by_name = api("get", f"/{coop.pk}/members", ketua, {"q": "anggota 3"}).json()
    by_nik = api("get", f"/{coop.pk}/members", ketua, {"q": NIKS[2]}).json()
    resigned = api("get", f"/{coop.pk}/members", ketua, {"status": "resigned"}).json()

    assert page["count"] == 5 and [m["full_name"] for m in page["items"]] == ["Anggota 4"]
    assert [m["full_name"] for m in by_name["items"]] == ["Anggota 3"]
    assert [m["full_name"] for m in by_nik["items"]] == ["Anggota 2"]
    assert [m["full_name"] for m in resigned["items"]] == ["Anggota 4"]


def test_the_member_list_runs_a_fixed_number_of_queries(
    api, coop, ketua, kukar_admin, django_assert_max_num_queries
):
    for n, nik in enumerate(NIKS[:20]):
        services.member_add(
            actor=kukar_admin,
            cooperative=coop,
            nik=nik,
            full_name=f"Anggota {n}",
            joined_on=dt.date(2025, 8, 1),
        )
    api("get", f"/{coop.pk}/members", ketua)

    with django_assert_max_num_queries(7):
        response = api("get", f"/{coop.pk}/members", ketua, {"page_size": 50})

    assert response.json()["count"] == 20


@pytest.mark.parametrize(("nik", "phone"), [("1234", ""), ("6402069999999999", ""), (NIKS[2], "12")])
def test_an_invalid_nik_or_phone_is_refused_with_the_field_named_and_nothing_saved(
    api, coop, ketua, nik, phone
):
    response = api(
        "post",
        f"/{coop.pk}/members",
        ketua,
        {"nik": nik, "phone": phone, "full_name": "Ani", "joined_on": "2025-08-01"},
    )

    error = error_of(response, 400, "invalid")
    assert error["fields"]["phone" if phone else "nik"]
    assert not Member.objects.exists()
    assert not SIXTEEN_DIGITS.search(response.content.decode())


def test_a_nik_is_registered_once_per_cooperative(api, coop, ketua):
    body = {"nik": NIKS[3], "full_name": "Ani", "joined_on": "2025-08-01"}
    api("post", f"/{coop.pk}/members", ketua, body)

    error_of(api("post", f"/{coop.pk}/members", ketua, body), 409, "duplicate_member")
    assert Member.objects.count() == 1


def test_a_members_unknown_village_is_a_clear_400(api, coop, ketua):
    response = api(
        "post",
        f"/{coop.pk}/members",
        ketua,
        {"nik": NIKS[3], "full_name": "Ani", "village_code": "64.02.06.9999", "joined_on": "2025-08-01"},
    )

    assert error_of(response, 400, "unknown_region")["fields"]["village_code"]


def test_an_officer_updates_a_members_status(api, world, ketua):
    response = api(
        "patch", f"/members/{world['member']}", ketua, {"status": "deceased", "village_code": NEIGHBOUR}
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "deceased" and response.json()["status_changed_on"]
    assert response.json()["village_code"] == NEIGHBOUR


def test_a_member_sees_their_own_record_but_cannot_change_it(api, coop, kukar_admin):
    own = person(region=SEAT)
    member = services.member_add(
        actor=kukar_admin,
        cooperative=coop,
        nik=NIKS[6],
        full_name="Budi",
        joined_on=dt.date(2025, 8, 1),
        user=own,
    )

    read = api("get", f"/members/{member.pk}", own)
    change = api("patch", f"/members/{member.pk}", own, {"status": "resigned"})

    assert read.status_code == 200 and read.json()["full_name"] == "Budi"
    error_of(change, 403, "forbidden")


def test_my_memberships_lists_only_the_callers_own_records(api, coop, other_coop, kukar_admin, buyer):
    own = person(region=SEAT)
    for cooperative, nik in ((coop, NIKS[7]), (other_coop, NIKS[8])):
        services.member_add(
            actor=kukar_admin,
            cooperative=cooperative,
            nik=nik,
            full_name="Budi",
            joined_on=dt.date(2025, 8, 1),
            user=own,
        )
    services.member_add(
        actor=kukar_admin, cooperative=coop, nik=NIKS[9], full_name="Lain", joined_on=dt.date(2025, 8, 1)
    )

    mine = api("get", "/my-memberships", own).json()
    theirs = api("get", "/my-memberships", buyer).json()

    assert sorted(m["cooperative_name"] for m in mine) == sorted([coop.name, other_coop.name])
    assert theirs == []


# --- Business units -------------------------------------------------------------------------


def test_an_officer_runs_the_units_and_the_seven_show_which_operate(api, coop, ketua):
    created = api(
        "post",
        f"/{coop.pk}/units",
        ketua,
        {"kind": "gerai_sembako", "name": "Gerai Jahab", "status": "operating"},
    )
    planned = api(
        "post", f"/{coop.pk}/units", ketua, {"kind": "agen_lpg", "latitude": "-0.42", "longitude": "116.98"}
    )
    changed = api(
        "patch", f"/units/{planned.json()['id']}", ketua, {"status": "building", "address": "Jl. Pasar"}
    )
    units = api("get", f"/{coop.pk}/units", ketua).json()
    seven = api("get", f"/{coop.pk}/seven-units", ketua).json()

    assert created.status_code == 201, created.content
    assert created.json()["opened_on"] == timezone.localdate().isoformat()
    assert planned.status_code == 201 and planned.json()["status"] == "planned"
    assert changed.status_code == 200 and changed.json()["status"] == "building"
    assert [u["kind"] for u in units] == ["agen_lpg", "gerai_sembako"]
    assert len(seven) == 7
    assert [s["kind"] for s in seven if s["operating"]] == ["gerai_sembako"]


def test_a_unit_with_an_unknown_kind_or_half_a_map_point_is_refused(api, coop, ketua):
    unknown = api("post", f"/{coop.pk}/units", ketua, {"kind": "casino"})
    half = api("post", f"/{coop.pk}/units", ketua, {"kind": "kantor", "latitude": "-0.42"})

    error_of(unknown, 422, "validation_error")
    assert error_of(half, 400, "invalid")["fields"]["latitude"]
    assert not BusinessUnit.objects.exists()


def test_the_pengawas_sees_the_units_but_cannot_change_them(api, world, coop):
    supervisor = person(Role.PENGAWAS, region=SEAT, org=coop.organization)

    assert api("get", f"/{coop.pk}/units", supervisor).status_code == 200
    error_of(api("patch", f"/units/{world['unit']}", supervisor, {"status": "operating"}), 403, "forbidden")
    assert BusinessUnit.objects.get(pk=world["unit"]).status == UnitStatus.PLANNED


def test_the_whole_api_is_described_in_openapi(client, regions):
    schema = json.loads(client.get("/api/v1/openapi.json").content)

    paths = {p for p in schema["paths"] if p.startswith("/api/v1/cooperatives")}
    assert "/api/v1/cooperatives/{cooperative_id}/members" in paths
    assert "/api/v1/cooperatives/stages/{record_id}/verify" in paths
    assert len(paths) >= 14


# --- Evidence and photos --------------------------------------------------------------------


def test_stage_evidence_is_served_to_those_who_may_see_the_cooperative(api, world, ketua, village_head):
    history = api("get", f"/{world['coop']}/stages", ketua).json()

    url = history[0]["evidence_url"]
    assert url == f"/api/v1/cooperatives/stages/{world['record']}/evidence"
    response = api("get", f"/stages/{world['record']}/evidence", village_head)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 minutes"


def test_a_stage_without_evidence_has_no_evidence_url(api, coop, kukar_admin):
    record = services.stage_record(
        actor=kukar_admin, cooperative=coop, stage=Stage.SOSIALISASI, happened_on=dt.date(2025, 6, 1)
    )

    assert api("get", f"/{coop.pk}/stages", kukar_admin).json()[0]["evidence_url"] is None
    error_of(api("get", f"/stages/{record.pk}/evidence", kukar_admin), 404, "no_evidence")


def test_an_officer_adds_and_removes_photos_shown_on_the_microsite(api, world, ketua):
    added = api(
        "post", f"/{world['coop']}/photos", ketua, {"image": png(), "caption": "Rapat"}, multipart=True
    )
    unit_added = api("post", f"/units/{world['unit']}/photos", ketua, {"image": png()}, multipart=True)
    listed = api("get", f"/{world['coop']}/photos", ketua).json()
    units = api("get", f"/{world['coop']}/units", ketua).json()
    removed = api("delete", f"/photos/{world['photo']}", ketua)
    unit_removed = api("delete", f"/units/photos/{world['unit_photo']}", ketua)

    assert added.status_code == 201 and added.json()["caption"] == "Rapat"
    assert added.json()["url"].startswith("/media/cooperatives/photos/")
    assert unit_added.status_code == 201
    assert len(listed) == 2 and len(units[0]["photos"]) == 2
    assert removed.status_code == 204 and unit_removed.status_code == 204
    assert list(CooperativePhoto.objects.values_list("caption", flat=True)) == ["Rapat"]
    assert UnitPhoto.objects.count() == 1


def test_a_file_that_is_not_a_photo_is_refused(api, coop, ketua):
    fake = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")

    response = api("post", f"/{coop.pk}/photos", ketua, {"image": fake}, multipart=True)

    assert error_of(response, 400, "invalid_image")["fields"]["image"]
    assert not CooperativePhoto.objects.exists()


def test_an_invalid_email_is_refused_with_the_field_named(api, coop, ketua):
    response = api("patch", f"/{coop.pk}", ketua, {"email": "koperasi at desa"})

    assert error_of(response, 400, "invalid")["fields"]["email"]
    coop.refresh_from_db()
    assert coop.email == ""


def test_an_id_that_is_not_a_number_gets_the_api_error_format(api, kukar_admin):
    error = error_of(api("get", "/jahab", kukar_admin), 422, "validation_error")

    assert "cooperative_id" in error["fields"]


def test_a_member_is_linked_to_their_account_and_then_sees_their_own_record(api, coop, ketua):
    ani = person(phone="+6281255550009", full_name="Ani")
    body = {"nik": NIKS[2], "full_name": "Ani", "joined_on": "2025-08-01", "account_phone": "0812 5555 0009"}

    created = api("post", f"/{coop.pk}/members", ketua, body)
    own = api("get", "/my-memberships", ani)

    assert created.status_code == 201, created.content
    assert [m["id"] for m in own.json()] == [created.json()["id"]]
    assert Role.MEMBER in {a.role for a in ani.active_roles()}


def test_linking_a_member_to_an_unknown_account_is_a_clear_400_and_saves_nothing(api, coop, ketua):
    body = {"nik": NIKS[2], "full_name": "Ani", "joined_on": "2025-08-01", "account_phone": "0812 9999 0000"}

    error = error_of(api("post", f"/{coop.pk}/members", ketua, body), 400, "unknown_account")

    assert error["fields"]["account_phone"]
    assert not Member.objects.filter(nik=NIKS[2]).exists()


def test_an_existing_member_is_linked_to_an_account_through_patch(api, coop, ketua):
    member = api(
        "post", f"/{coop.pk}/members", ketua, {"nik": NIKS[2], "full_name": "Ani", "joined_on": "2025-08-01"}
    )
    ani = person(phone="+6281255550009", full_name="Ani")

    linked = api("patch", f"/members/{member.json()['id']}", ketua, {"account_phone": "+62 812 5555 0009"})

    assert linked.status_code == 200, linked.content
    assert Member.objects.get(pk=member.json()["id"]).user == ani
