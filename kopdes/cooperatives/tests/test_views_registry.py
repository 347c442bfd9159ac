"""The registry's pages: who may open and do what, what they show, and a formation walked through them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from kopdes.accounts.choices import Role
from kopdes.accounts.models import RoleAssignment
from kopdes.accounts.tests.factories import person
from kopdes.cooperatives import services
from kopdes.cooperatives.choices import MemberStatus, Position, Stage, StageStatus, UnitKind, UnitStatus
from kopdes.cooperatives.models import Cooperative, Member, Officer, StageRecord, UnitPhoto
from kopdes.core.models import AuditEvent
from kopdes.regions.models import Region

JAHAB = "64.02.06.1001"
LOA_IPUH = "64.02.06.1002"
MASABEWA = "53.07.01.2001"
NIK = "6402065508900002"
NIK_2 = "5307011508900001"
DAY = dt.date(2025, 6, 2)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
STATIC_QRIS = (
    "00020101021126660014ID.CO.QRIS.WWW01189360001400000000010215ID12345678901230303UMI"
    "51440014ID.CO.QRIS.WWW0215ID12345678901230303UMI5204541153033605802ID"
    "5918KOPDES MERAH PUTIH6010TENGGARONG6105755116304A0A5"
)


def village(code: str) -> Region:
    return Region.objects.get(code=code)


def png(width: int = 40, height: int = 30, name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (179, 0, 27)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def evidence(name: str = "notulen.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _english(client):
    # Assertions read the English message ids, whatever the Indonesian catalogue says.
    client.cookies["django_language"] = "en"


@pytest.fixture
def kukar_admin(regions):
    return person(Role.ADMIN_REGENCY, region="64.02", scope="64.02")


@pytest.fixture
def sikka_admin(regions):
    return person(Role.ADMIN_REGENCY, region="53.07", scope="53.07")


@pytest.fixture
def coop(regions):
    return services.cooperative_create(actor=None, village=village(JAHAB))


@pytest.fixture
def other_coop(regions):
    return services.cooperative_create(actor=None, village=village(LOA_IPUH))


@pytest.fixture
def village_head(regions):
    return person(Role.VILLAGE_HEAD, region=JAHAB, scope=JAHAB)


@pytest.fixture
def buyer(regions):
    return person(Role.BUYER)


def appoint(admin, coop, position=Position.KETUA, **fields):
    user = person(region=coop.village_id, **fields)
    services.officer_appoint(actor=admin, cooperative=coop, user=user, position=position, term_start=DAY)
    user.forget_roles()
    return user


@pytest.fixture
def ketua(kukar_admin, coop):
    return appoint(kukar_admin, coop, full_name="Ketua Jahab")


@pytest.fixture
def other_ketua(kukar_admin, other_coop):
    return appoint(kukar_admin, other_coop, full_name="Ketua Loa Ipuh")


@pytest.fixture
def member(kukar_admin, coop):
    account = person(Role.MEMBER, region=JAHAB, org=coop.organization)
    return services.member_add(
        actor=kukar_admin, cooperative=coop, nik=NIK, full_name="Siti Aminah", joined_on=DAY, user=account
    )


def url(name: str, *args) -> str:
    return reverse(f"cooperatives:{name}", args=args)


# --- Anonymous visitors and refusals ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "needs"),
    [
        ("list", None),
        ("create", None),
        ("my_memberships", None),
        ("detail", "coop"),
        ("edit", "coop"),
        ("officers", "coop"),
        ("members", "coop"),
        ("units", "coop"),
        ("member", "member"),
    ],
)
def test_an_anonymous_visitor_is_sent_to_the_login_page(request, client, regions, name, needs):
    args = [request.getfixturevalue(needs).pk] if needs else []

    response = client.get(url(name, *args))

    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ["list", "create", "detail", "edit", "officers", "members", "units"])
def test_a_buyer_is_refused_every_registry_page(client, buyer, coop, name):
    client.force_login(buyer)

    response = client.get(url(name) if name in ("list", "create") else url(name, coop.pk))

    assert response.status_code == 403


@pytest.mark.parametrize("name", ["detail", "edit", "officers", "members", "units"])
def test_a_regency_admin_is_refused_the_pages_of_another_regencys_cooperative(
    client, sikka_admin, coop, name
):
    client.force_login(sikka_admin)

    response = client.get(url(name, coop.pk))

    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor=sikka_admin).exists()


def test_an_unknown_cooperative_is_not_found(client, kukar_admin):
    client.force_login(kukar_admin)

    assert client.get(url("detail", 999999)).status_code == 404


# --- The list ---------------------------------------------------------------------------------


def test_a_regency_admin_lists_only_its_regencys_cooperatives(client, kukar_admin, coop, other_coop):
    services.cooperative_create(actor=None, village=village(MASABEWA))
    client.force_login(kukar_admin)

    response = client.get(url("list"))

    assert response.status_code == 200
    assert [c.village_id for c in response.context["page"].object_list] == [JAHAB, LOA_IPUH]
    html = response.content.decode()
    assert "Koperasi Kelurahan Merah Putih Jahab" in html and "Masabewa" not in html
    assert url("create") in html


def test_an_officer_lists_only_their_own_cooperative_and_cannot_register_one(client, ketua, coop, other_coop):
    client.force_login(ketua)

    response = client.get(url("list"))

    assert [c.pk for c in response.context["page"].object_list] == [coop.pk]
    assert url("create") not in response.content.decode()
    assert client.get(url("create")).status_code == 403


def test_the_list_filters_by_region_stage_scheme_and_name(
    client, kukar_admin, coop, other_coop, village_head
):
    services.stage_record(actor=village_head, cooperative=coop, stage=Stage.SOSIALISASI, happened_on=DAY)
    client.force_login(kukar_admin)

    def villages(**params):
        response = client.get(url("list"), params)
        assert response.status_code == 200
        return [c.village_id for c in response.context["page"].object_list]

    assert villages(stage=Stage.SOSIALISASI) == [JAHAB]
    assert villages(stage="none") == [LOA_IPUH]
    assert villages(q="ipuh") == [LOA_IPUH]
    assert villages(scheme="develop") == []
    assert villages(
        **{"region__1": "64", "region__2": "64.02", "region__3": "64.02.06", "region__4": LOA_IPUH}
    ) == [LOA_IPUH]


def test_an_unknown_stage_filter_is_shown_as_an_error_not_a_crash(client, kukar_admin, coop):
    client.force_login(kukar_admin)

    response = client.get(url("list"), {"stage": "bogus"})

    assert response.status_code == 200
    assert response.context["form"].errors["stage"]


def test_the_list_runs_a_fixed_number_of_queries(client, kukar_admin, django_assert_max_num_queries):
    for code in Region.objects.filter(code__startswith="64.02.", level=4).values_list("code", flat=True)[:30]:
        services.cooperative_create(actor=None, village=village(code))
    client.force_login(kukar_admin)

    # The user, their roles, the region filter, the picker's options, the count and the page.
    with django_assert_max_num_queries(6):
        response = client.get(url("list"), {"region__1": "64", "region__2": "64.02"})

    assert len(response.context["page"].object_list) == 30


def test_the_navigation_shows_the_registry_to_those_who_may_see_it(client, kukar_admin, buyer, member):
    client.force_login(kukar_admin)
    assert url("list") in client.get(reverse("core:home")).content.decode()

    client.force_login(buyer)
    assert url("list") not in client.get(reverse("core:home")).content.decode()

    client.force_login(member.user)
    html = client.get(reverse("core:home")).content.decode()
    assert url("my_memberships") in html


# --- Registering a cooperative ----------------------------------------------------------------


def test_the_registration_form_proposes_the_official_name(client, kukar_admin):
    client.force_login(kukar_admin)

    response = client.get(url("create"), {"village": JAHAB})

    assert response.status_code == 200
    assert 'placeholder="Koperasi Kelurahan Merah Putih Jahab"' in response.content.decode()


def test_an_admin_registers_a_cooperative_with_small_villages_sharing_it(client, kukar_admin):
    client.force_login(kukar_admin)

    response = client.post(
        url("create"),
        {
            "village__1": "64",
            "village__2": "64.02",
            "village__3": "64.02.06",
            "village__4": JAHAB,
            "scheme": "develop",
            "name": "",
            "shared_villages": "64.02.06.1002, 6402061003",
            "npwp": "01.234.567.8-901.000",
            "phone": "0812 3456 7890",
            "qris_payload": STATIC_QRIS,
            "latitude": "-0,4167",
            "longitude": "116.9833",
        },
    )

    coop = Cooperative.objects.get()
    assert response.status_code == 302 and response.url == coop.get_absolute_url()
    assert coop.name == "Koperasi Kelurahan Merah Putih Jahab" and coop.scheme == "develop"
    assert set(coop.villages.values_list("village_id", flat=True)) == {JAHAB, LOA_IPUH, "64.02.06.1003"}
    assert (coop.npwp, coop.phone, str(coop.latitude)) == ("0012345678901000", "+6281234567890", "-0.416700")


def test_a_village_that_already_has_a_cooperative_shows_the_conflict_on_the_form(client, kukar_admin, coop):
    client.force_login(kukar_admin)

    response = client.post(url("create"), {"village": JAHAB, "scheme": "new"})

    assert response.status_code == 200
    assert "This village already has a cooperative." in response.content.decode()
    assert Cooperative.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("npwp", "12.345"),
        ("phone", "12"),
        ("nib", "123"),
        ("qris_payload", "not a qris"),
        ("shared_villages", "99.99"),
    ],
)
def test_bad_identity_input_shows_an_error_and_saves_nothing(client, kukar_admin, field, value):
    client.force_login(kukar_admin)

    response = client.post(url("create"), {"village": JAHAB, "scheme": "new", field: value})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Cooperative.objects.exists()


def test_an_admin_cannot_register_a_cooperative_in_another_regency(client, sikka_admin):
    client.force_login(sikka_admin)

    response = client.post(url("create"), {"village": JAHAB, "scheme": "new"})

    assert response.status_code == 403
    assert not Cooperative.objects.exists()


# --- A cooperative's page and its formation ---------------------------------------------------


def test_the_cooperatives_page_shows_its_identity_officers_and_units(client, kukar_admin, coop, ketua):
    services.cooperative_update(
        actor=kukar_admin,
        cooperative=coop,
        npwp="0012345678901000",
        phone="081234567890",
        address="Jl. Mulawarman 1",
    )
    services.unit_create(
        actor=kukar_admin, cooperative=coop, kind=UnitKind.KANTOR, status=UnitStatus.OPERATING
    )
    client.force_login(kukar_admin)

    response = client.get(url("detail", coop.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "01.234.567.8-901.000" in html
    assert "https://wa.me/6281234567890" in html
    assert "Ketua Jahab" in html and "Jl. Mulawarman 1" in html
    assert f"/k/{coop.slug}/" in html
    assert [operating for _kind, _label, operating in response.context["seven_units"]].count(True) == 1
    assert response.context["member_counts"] is not None


def test_a_member_sees_the_cooperatives_page_without_member_counts_or_actions(client, coop, member):
    client.force_login(member.user)

    response = client.get(url("detail", coop.pk))

    assert response.status_code == 200
    assert response.context["member_counts"] is None and response.context["record_form"] is None
    assert url("members", coop.pk) not in response.content.decode()


def test_the_formation_is_walked_through_the_pages(client, kukar_admin, coop, village_head, ketua):
    detail = url("detail", coop.pk)

    # The village head records the socialisation with its minutes.
    client.force_login(village_head)
    page = client.get(detail)
    assert page.context["record_form"] is not None and page.context["next_stage"] == Stage.SOSIALISASI
    response = client.post(
        detail,
        {
            "action": "record",
            "record-stage": Stage.SOSIALISASI,
            "record-happened_on": "2025-06-02",
            "record-evidence": evidence(),
            "record-notes": "Balai kelurahan",
        },
    )
    assert response.status_code == 302
    first = StageRecord.objects.get()
    assert first.status == StageStatus.SUBMITTED and first.evidence.name.endswith(".pdf")
    assert client.get(detail).context["record_form"] is None

    # The regency admin opens the evidence and verifies.
    client.force_login(kukar_admin)
    page = client.get(detail)
    assert page.context["may_verify"] and url("stage_evidence", first.pk) in page.content.decode()
    download = client.get(url("stage_evidence", first.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert client.post(detail, {"action": "verify", "record_id": first.pk}).status_code == 302
    first.refresh_from_db()
    assert first.status == StageStatus.VERIFIED and first.decided_by == kukar_admin

    # The musdesus is recorded, then sent back: a reason is required.
    client.force_login(village_head)
    client.post(
        detail,
        {
            "action": "record",
            "record-stage": Stage.MUSDESUS,
            "record-happened_on": "2025-06-10",
            "record-notes": "",
        },
    )
    musdesus = StageRecord.objects.get(stage=Stage.MUSDESUS)
    client.force_login(kukar_admin)
    response = client.post(detail, {"action": "send_back", "record_id": musdesus.pk, "back-reason": " "})
    assert response.status_code == 200 and response.context["send_back_form"].errors["reason"]
    response = client.post(
        detail,
        {"action": "send_back", "record_id": musdesus.pk, "back-reason": "The minutes are not signed."},
    )
    assert response.status_code == 302
    musdesus.refresh_from_db()
    assert musdesus.status == StageStatus.SENT_BACK
    assert "The minutes are not signed." in client.get(detail).content.decode()

    # Recorded again with the signed minutes, then verified; the chair records the founding meeting.
    client.force_login(village_head)
    client.post(
        detail,
        {
            "action": "record",
            "record-stage": Stage.MUSDESUS,
            "record-happened_on": "2025-06-10",
            "record-evidence": evidence("notulen-ttd.pdf"),
        },
    )
    client.force_login(kukar_admin)
    again = StageRecord.objects.get(stage=Stage.MUSDESUS, status=StageStatus.SUBMITTED)
    client.post(detail, {"action": "verify", "record_id": again.pk})
    client.force_login(ketua)
    client.post(
        detail,
        {"action": "record", "record-stage": Stage.RAPAT_PENDIRIAN, "record-happened_on": "2025-06-20"},
    )
    client.force_login(kukar_admin)
    founding = StageRecord.objects.get(stage=Stage.RAPAT_PENDIRIAN)
    client.post(detail, {"action": "verify", "record_id": founding.pk})
    coop.refresh_from_db()
    assert (coop.stage, coop.stage_status) == (Stage.RAPAT_PENDIRIAN, StageStatus.VERIFIED)

    # The regency admin moves the cooperative back to the musdesus, with a reason.
    page = client.get(detail)
    assert [value for value, _label in page.context["rollback_form"].fields["to_stage"].choices] == [
        Stage.SOSIALISASI,
        Stage.MUSDESUS,
    ]
    response = client.post(
        detail, {"action": "rollback", "rollback-to_stage": Stage.MUSDESUS, "rollback-reason": ""}
    )
    assert response.status_code == 200 and response.context["rollback_form"].errors["reason"]
    response = client.post(
        detail,
        {
            "action": "rollback",
            "rollback-to_stage": Stage.MUSDESUS,
            "rollback-reason": "The founding quorum was short.",
        },
    )
    assert response.status_code == 302
    coop.refresh_from_db()
    assert (coop.stage, coop.stage_status) == (Stage.MUSDESUS, StageStatus.VERIFIED)
    history = client.get(detail).context["history"]
    assert [r.status for r in history][-1] == StageStatus.ROLLED_BACK
    assert [r.stage for r in history] == [
        Stage.SOSIALISASI,
        Stage.MUSDESUS,
        Stage.MUSDESUS,
        Stage.RAPAT_PENDIRIAN,
        Stage.MUSDESUS,
    ]


def test_skipping_a_stage_through_the_page_shows_the_rule(client, kukar_admin, coop):
    client.force_login(kukar_admin)

    response = client.post(
        url("detail", coop.pk),
        {"action": "record", "record-stage": Stage.AKTA_NOTARIS, "record-happened_on": "2025-06-02"},
    )

    assert response.status_code == 200
    assert "Stages cannot be skipped" in response.content.decode()
    assert not StageRecord.objects.exists()


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("notulen.pdf", b"just some text, not a PDF", content_type="application/pdf"),
        SimpleUploadedFile(
            "big.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), content_type="application/pdf"
        ),
    ],
    ids=["not-a-pdf", "over-5-mb"],
)
def test_a_bad_evidence_file_is_refused_and_nothing_is_recorded(client, kukar_admin, coop, upload):
    client.force_login(kukar_admin)

    response = client.post(
        url("detail", coop.pk),
        {
            "action": "record",
            "record-stage": Stage.SOSIALISASI,
            "record-happened_on": "2025-06-02",
            "record-evidence": upload,
        },
    )

    assert response.status_code == 200
    assert response.context["record_form"].errors["evidence"]
    assert not StageRecord.objects.exists()


def test_an_evidence_file_is_stored_under_the_extension_of_what_it_really_is(client, kukar_admin, coop):
    client.force_login(kukar_admin)

    client.post(
        url("detail", coop.pk),
        {
            "action": "record",
            "record-stage": Stage.SOSIALISASI,
            "record-happened_on": "2025-06-02",
            "record-evidence": SimpleUploadedFile("page.html", PDF + b"<script>alert(1)</script>"),
        },
    )

    entry = StageRecord.objects.get()
    assert entry.evidence.name.endswith("/page.pdf")
    assert client.get(url("stage_evidence", entry.pk))["Content-Type"] == "application/pdf"


def test_an_officer_cannot_verify_a_stage_through_the_page(client, kukar_admin, coop, village_head, ketua):
    entry = services.stage_record(
        actor=village_head, cooperative=coop, stage=Stage.SOSIALISASI, happened_on=DAY
    )
    client.force_login(ketua)

    assert client.get(url("detail", coop.pk)).context["may_verify"] is False
    response = client.post(url("detail", coop.pk), {"action": "verify", "record_id": entry.pk})

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == StageStatus.SUBMITTED


def test_an_officer_cannot_roll_back_through_the_page(client, kukar_admin, coop, village_head, ketua):
    for stage, day in ((Stage.SOSIALISASI, DAY), (Stage.MUSDESUS, DAY + dt.timedelta(days=1))):
        coop.refresh_from_db()
        entry = services.stage_record(actor=village_head, cooperative=coop, stage=stage, happened_on=day)
        services.stage_verify(actor=kukar_admin, record=entry)
    client.force_login(ketua)

    assert client.get(url("detail", coop.pk)).context["rollback_form"] is None
    response = client.post(
        url("detail", coop.pk),
        {"action": "rollback", "rollback-to_stage": Stage.SOSIALISASI, "rollback-reason": "x"},
    )

    assert response.status_code == 403
    coop.refresh_from_db()
    assert coop.stage == Stage.MUSDESUS


def test_stage_evidence_is_not_public(client, kukar_admin, sikka_admin, buyer, coop, village_head):
    entry = services.stage_record(
        actor=village_head, cooperative=coop, stage=Stage.SOSIALISASI, happened_on=DAY, evidence=evidence()
    )

    for outsider in (sikka_admin, buyer):
        client.force_login(outsider)
        assert client.get(url("stage_evidence", entry.pk)).status_code == 403
    client.logout()
    assert client.get(url("stage_evidence", entry.pk)).status_code == 302


# --- Editing the identity ---------------------------------------------------------------------


def test_the_chair_edits_the_identity_including_the_static_qris(client, coop, ketua):
    client.force_login(ketua)
    form = client.get(url("edit", coop.pk)).context["form"]
    data = {name: (value if value is not None else "") for name, value in form.initial.items()}
    data.update(
        qris_payload=STATIC_QRIS, latitude="-0.4167", longitude="116.9833", bank_name="Bank Kaltimtara"
    )

    response = client.post(url("edit", coop.pk), data)

    assert response.status_code == 302
    coop.refresh_from_db()
    assert coop.qris_payload == STATIC_QRIS and coop.bank_name == "Bank Kaltimtara"
    assert str(coop.longitude) == "116.983300"


def test_a_bad_qris_shows_an_error_and_changes_nothing(client, coop, ketua):
    client.force_login(ketua)

    response = client.post(
        url("edit", coop.pk),
        {"name": coop.name, "scheme": coop.scheme, "qris_payload": "hello", "address": "Baru"},
    )

    assert response.status_code == 200 and response.context["form"].errors["qris_payload"]
    coop.refresh_from_db()
    assert coop.qris_payload == "" and coop.address == ""


@pytest.mark.parametrize("who", ["member", "other_ketua", "village_head"])
def test_those_who_do_not_run_the_cooperative_cannot_edit_it(request, client, coop, who):
    user = request.getfixturevalue(who)
    client.force_login(user.user if who == "member" else user)

    assert client.get(url("edit", coop.pk)).status_code == 403
    assert client.post(url("edit", coop.pk), {"name": "Hijacked", "scheme": "new"}).status_code == 403
    coop.refresh_from_db()
    assert coop.name != "Hijacked"


def test_a_cooperative_photo_is_uploaded_and_shrunk(client, coop, ketua):
    client.force_login(ketua)

    response = client.post(
        url("edit", coop.pk), {"action": "photo", "photo-image": png(3200, 1600), "photo-caption": "Kantor"}
    )

    assert response.status_code == 302
    photo = coop.photos.get()
    with Image.open(photo.image.path) as stored:
        assert stored.size == (1600, 800)


# --- Officers ---------------------------------------------------------------------------------


def test_an_admin_appoints_an_officer_by_phone_and_the_role_follows(client, kukar_admin, coop):
    chosen = person(region=JAHAB, phone="+6281311112222", full_name="Budi Santoso")
    client.force_login(kukar_admin)

    response = client.post(
        url("officers", coop.pk),
        {
            "action": "appoint",
            "appoint-phone": "0813-1111-2222",
            "appoint-position": Position.BENDAHARA,
            "appoint-term_start": "2025-07-01",
            "appoint-term_end": "2030-06-30",
        },
    )

    assert response.status_code == 302
    officer = Officer.objects.get(user=chosen)
    assert officer.position == Position.BENDAHARA and officer.term_end == dt.date(2030, 6, 30)
    assert RoleAssignment.objects.filter(
        user=chosen, role=Role.BENDAHARA, organization=coop.organization, revoked_at__isnull=True
    ).exists()
    assert "Budi Santoso" in client.get(url("officers", coop.pk)).content.decode()


def test_appointing_a_phone_without_an_account_says_to_create_the_account_first(client, kukar_admin, coop):
    client.force_login(kukar_admin)

    response = client.post(
        url("officers", coop.pk),
        {
            "action": "appoint",
            "appoint-phone": "0813-9999-0000",
            "appoint-position": "ketua",
            "appoint-term_start": "2025-07-01",
        },
    )

    assert response.status_code == 200
    assert reverse("accounts:user_create") in response.content.decode()
    assert not Officer.objects.exists()


def test_ending_a_term_through_the_page_revokes_the_role(client, kukar_admin, coop, ketua):
    officer = Officer.objects.get(user=ketua)
    client.force_login(kukar_admin)

    response = client.post(url("officers", coop.pk), {"action": "end", "officer": officer.pk})

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.ended_at is not None
    assert not RoleAssignment.objects.filter(user=ketua, revoked_at__isnull=True).exists()
    page = client.get(url("officers", coop.pk))
    assert [o.pk for o in page.context["past"]] == [officer.pk] and page.context["current"] == []


def test_a_treasurer_sees_the_officers_but_cannot_appoint(client, kukar_admin, coop, ketua):
    treasurer = appoint(kukar_admin, coop, Position.BENDAHARA)
    client.force_login(treasurer)

    page = client.get(url("officers", coop.pk))
    response = client.post(
        url("officers", coop.pk),
        {"action": "end", "officer": Officer.objects.get(user=ketua).pk},
    )

    assert page.status_code == 200 and page.context["form"] is None
    assert response.status_code == 403
    assert Officer.objects.get(user=ketua).ended_at is None


def test_the_chair_of_another_cooperative_cannot_appoint_here(client, coop, other_ketua):
    client.force_login(other_ketua)

    response = client.post(
        url("officers", coop.pk),
        {
            "action": "appoint",
            "appoint-phone": other_ketua.phone,
            "appoint-position": "ketua",
            "appoint-term_start": "2025-07-01",
        },
    )

    assert response.status_code == 403
    assert not coop.officers.exists()


# --- Members ----------------------------------------------------------------------------------


def test_the_members_page_masks_the_nik(client, coop, ketua, member):
    client.force_login(ketua)

    response = client.get(url("members", coop.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Siti Aminah" in html and "6402********0002" in html
    assert NIK not in html


def test_members_are_found_by_name_or_by_the_whole_nik(client, kukar_admin, coop, ketua, member):
    services.member_add(
        actor=kukar_admin, cooperative=coop, nik=NIK_2, full_name="Budi Santoso", joined_on=DAY
    )
    client.force_login(ketua)

    def names(**params):
        return [m.full_name for m in client.get(url("members", coop.pk), params).context["page"].object_list]

    assert names() == ["Budi Santoso", "Siti Aminah"]
    assert names(q="budi") == ["Budi Santoso"]
    assert names(q=NIK) == ["Siti Aminah"]
    assert names(q="6402") == []
    assert names(status=MemberStatus.RESIGNED) == []


def test_the_members_page_runs_a_fixed_number_of_queries(
    client, kukar_admin, coop, ketua, django_assert_max_num_queries
):
    for index in range(30):
        services.member_add(
            actor=kukar_admin,
            cooperative=coop,
            nik=f"640206550890{index + 1:04d}",
            full_name=f"Anggota {index:02d}",
            phone=f"0812000000{index:02d}",
            joined_on=DAY,
        )
    client.force_login(ketua)

    # The user, their roles, the cooperative, the count, the counts by status, the page, the picker.
    with django_assert_max_num_queries(7):
        response = client.get(url("members", coop.pk))

    assert len(response.context["page"].object_list) == 30


def test_an_officer_registers_a_member_and_the_account_with_that_phone_is_linked(client, coop, ketua):
    account = person(region=JAHAB, phone="+6281377778888")
    client.force_login(ketua)

    response = client.post(
        url("members", coop.pk),
        {
            "add-nik": "6402 0655 0890 0002",
            "add-full_name": "Siti Aminah",
            "add-phone": "0813-7777-8888",
            "add-joined_on": "2025-08-01",
        },
    )

    assert response.status_code == 302
    member = Member.objects.get()
    assert (member.nik, member.village_id, member.user) == (NIK, JAHAB, account)
    assert NIK not in client.get(response.url).content.decode()


def test_a_duplicate_or_invalid_nik_shows_an_error_and_saves_nothing(client, coop, ketua, member):
    client.force_login(ketua)

    duplicate = client.post(
        url("members", coop.pk), {"add-nik": NIK, "add-full_name": "Siti Lagi", "add-joined_on": "2025-08-01"}
    )
    invalid = client.post(
        url("members", coop.pk),
        {"add-nik": "1234567890123456", "add-full_name": "Budi", "add-joined_on": "2025-08-01"},
    )

    assert duplicate.status_code == 200 and duplicate.context["form"].errors["nik"]
    assert invalid.status_code == 200 and invalid.context["form"].errors["nik"]
    assert Member.objects.count() == 1


def test_an_officer_of_another_cooperative_cannot_see_or_touch_these_members(
    client, coop, other_ketua, member
):
    client.force_login(other_ketua)

    assert client.get(url("members", coop.pk)).status_code == 403
    assert client.get(url("member", member.pk)).status_code == 403
    added = client.post(
        url("members", coop.pk), {"add-nik": NIK_2, "add-full_name": "Budi", "add-joined_on": "2025-08-01"}
    )
    changed = client.post(url("member", member.pk), {"full_name": "Changed", "status": MemberStatus.DECEASED})

    assert added.status_code == 403 and changed.status_code == 403
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE and coop.members.count() == 1


def test_a_member_cannot_open_the_members_list(client, coop, member):
    client.force_login(member.user)

    assert client.get(url("members", coop.pk)).status_code == 403


def test_a_member_sees_their_own_record_without_the_edit_form(client, coop, member):
    client.force_login(member.user)

    response = client.get(url("member", member.pk))

    assert response.status_code == 200 and response.context["form"] is None
    assert "6402********0002" in response.content.decode() and NIK not in response.content.decode()
    assert client.post(url("member", member.pk), {"full_name": "Me", "status": "active"}).status_code == 403


def test_an_officer_changes_a_members_status(client, coop, ketua, member):
    client.force_login(ketua)

    response = client.post(
        url("member", member.pk), {"full_name": "Siti Aminah", "phone": "", "status": MemberStatus.RESIGNED}
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == MemberStatus.RESIGNED and member.status_changed_on is not None


def test_my_memberships_lists_the_members_own_records(client, coop, member, other_coop, kukar_admin):
    services.member_add(
        actor=kukar_admin, cooperative=other_coop, nik=NIK_2, full_name="Orang lain", joined_on=DAY
    )
    client.force_login(member.user)

    response = client.get(url("my_memberships"))

    assert response.status_code == 200 and response.context["records"] == [member]
    assert coop.name in response.content.decode() and "Orang lain" not in response.content.decode()


# --- Units ------------------------------------------------------------------------------------


def test_an_officer_adds_a_unit_and_sees_the_seven(client, coop, ketua):
    client.force_login(ketua)

    response = client.post(
        url("units", coop.pk),
        {
            "unit-kind": UnitKind.GERAI_SEMBAKO,
            "unit-name": "Gerai Jahab",
            "unit-status": UnitStatus.OPERATING,
        },
    )

    assert response.status_code == 302
    unit = coop.units.get()
    assert unit.opened_on is not None
    page = client.get(url("units", coop.pk))
    assert "Gerai Jahab" in page.content.decode()
    assert dict((kind, ok) for kind, _label, ok in page.context["seven_units"])[UnitKind.GERAI_SEMBAKO]


def test_bad_coordinates_for_a_unit_show_an_error_and_save_nothing(client, coop, ketua):
    client.force_login(ketua)

    response = client.post(
        url("units", coop.pk),
        {
            "unit-kind": UnitKind.KANTOR,
            "unit-status": UnitStatus.PLANNED,
            "unit-latitude": "51.5",
            "unit-longitude": "0.1",
        },
    )

    assert response.status_code == 200 and response.context["form"].errors
    assert not coop.units.exists()


def test_a_unit_starts_operating_and_gets_a_photo(client, kukar_admin, coop, ketua):
    unit = services.unit_create(
        actor=kukar_admin, cooperative=coop, kind=UnitKind.KLINIK, status=UnitStatus.BUILDING
    )
    client.force_login(ketua)

    changed = client.post(
        url("unit", unit.pk),
        {"action": "update", "unit-kind": UnitKind.KLINIK, "unit-status": UnitStatus.OPERATING},
    )
    uploaded = client.post(
        url("unit", unit.pk), {"action": "photo", "photo-image": png(), "photo-caption": "Klinik"}
    )

    assert changed.status_code == 302 and uploaded.status_code == 302
    unit.refresh_from_db()
    assert unit.status == UnitStatus.OPERATING and unit.opened_on is not None
    photo = UnitPhoto.objects.get(unit=unit)
    assert photo.caption == "Klinik" and photo.image.name.endswith(".png")
    assert photo.image.url in client.get(url("unit", unit.pk)).content.decode()


def test_moving_only_the_latitude_of_a_unit_keeps_its_longitude(client, kukar_admin, coop, ketua):
    unit = services.unit_create(
        actor=kukar_admin, cooperative=coop, kind=UnitKind.GUDANG, latitude="-0.41", longitude="116.98"
    )
    client.force_login(ketua)

    response = client.post(
        url("unit", unit.pk),
        {
            "action": "update",
            "unit-kind": UnitKind.GUDANG,
            "unit-status": UnitStatus.PLANNED,
            "unit-latitude": "-0.42",
            "unit-longitude": "116.98",
        },
    )

    assert response.status_code == 302
    unit.refresh_from_db()
    assert (str(unit.latitude), str(unit.longitude)) == ("-0.420000", "116.980000")


def gif() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    return SimpleUploadedFile("anim.gif", buffer.getvalue(), content_type="image/gif")


@pytest.mark.parametrize(
    "upload",
    [lambda: SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"), gif],
    ids=["not-an-image", "a-gif"],
)
def test_a_file_that_is_not_a_jpeg_png_or_webp_photo_is_refused(client, kukar_admin, coop, ketua, upload):
    unit = services.unit_create(actor=kukar_admin, cooperative=coop, kind=UnitKind.KANTOR)
    client.force_login(ketua)

    response = client.post(url("unit", unit.pk), {"action": "photo", "photo-image": upload()})

    assert response.status_code == 200 and response.context["photo_form"].errors["image"]
    assert not UnitPhoto.objects.exists()


def test_the_chair_of_another_cooperative_cannot_change_a_unit(client, kukar_admin, coop, other_ketua):
    unit = services.unit_create(actor=kukar_admin, cooperative=coop, kind=UnitKind.KANTOR)
    client.force_login(other_ketua)

    assert client.get(url("unit", unit.pk)).status_code == 403
    assert client.get(url("units", coop.pk)).status_code == 403
    response = client.post(
        url("unit", unit.pk), {"action": "update", "unit-kind": "kantor", "unit-status": "operating"}
    )

    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.status == UnitStatus.PLANNED


def test_a_member_sees_the_units_but_cannot_add_one(client, coop, member):
    client.force_login(member.user)

    page = client.get(url("units", coop.pk))
    response = client.post(url("units", coop.pk), {"unit-kind": "kantor", "unit-status": "planned"})

    assert page.status_code == 200 and page.context["form"] is None
    assert response.status_code == 403 and not coop.units.exists()


def test_removing_a_unit_photo_deletes_its_file_once_committed(
    client, kukar_admin, coop, ketua, django_capture_on_commit_callbacks
):
    unit = services.unit_create(actor=kukar_admin, cooperative=coop, kind=UnitKind.KANTOR)
    client.force_login(ketua)
    client.post(url("unit", unit.pk), {"action": "photo", "photo-image": png()})
    photo = UnitPhoto.objects.get()
    storage, name = photo.image.storage, photo.image.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("unit", unit.pk), {"action": "remove_photo", "photo": photo.pk})

    assert response.status_code == 302
    assert not UnitPhoto.objects.exists() and not storage.exists(name)
    assert AuditEvent.objects.filter(action="cooperatives.unit.photo_remove").exists()
