"""Spreadsheet imports: reading files, mapping columns, the dry run, running, the error sheet,
who may do what, the pages and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import path, reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from kopdes.accounts.choices import Role
from kopdes.accounts.tests.factories import bearer, person
from kopdes.cooperatives import imports, services
from kopdes.cooperatives.api_imports import router as imports_router
from kopdes.cooperatives.choices import ImportKind, ImportStatus, MemberStatus, Scheme
from kopdes.cooperatives.models import Cooperative, CooperativeVillage, ImportJob, Member
from kopdes.cooperatives.tasks import import_run
from kopdes.core.errors import DomainError
from kopdes.core.models import AuditEvent
from kopdes.core.policies import PolicyDenied
from kopdes.regions.models import Region


@pytest.fixture(autouse=True)
def _in_english(client):
    # These tests read the English messages; the interface defaults to Indonesian.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


JAHAB = "64.02.06.1001"  # a kelurahan in Tenggarong, Kutai Kartanegara
LOA_IPUH = "64.02.06.1002"
BUKIT_BIRU = "64.02.06.1003"
MASABEWA = "53.07.01.2001"  # a desa in Sikka
HEADERS = ["NIK", "Nama Lengkap", "No HP", "Kode Desa", "Tanggal Masuk", "Status"]


def nik(n: int) -> str:
    """A valid NIK of Tenggarong (64.02.06), born 12 March 1990, serial n."""
    return f"640206120390{n:04d}"


def village(code: str) -> Region:
    return Region.objects.get(code=code)


def csv_upload(rows, *, headers=HEADERS, name="anggota.csv", delimiter=",", bom=False) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8-sig" if bom else "utf-8")
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_bytes(rows, *, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_upload(rows, *, headers=HEADERS, name="anggota.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows, headers=headers))


def member_row(
    n: int, name: str = "", phone="0812-3456-7890", code=JAHAB, joined="2025-01-31", status="aktif"
):
    return [nik(n), name or f"Anggota {n}", phone, code, joined, status]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


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
def ketua(coop):
    return person(Role.KETUA, region=JAHAB, org=coop.organization)


@pytest.fixture
def other_ketua(other_coop):
    return person(Role.KETUA, region=LOA_IPUH, org=other_coop.organization)


@pytest.fixture
def buyer(regions):
    return person(Role.BUYER)


def upload_members(actor, coop, rows, **kwargs) -> ImportJob:
    return imports.import_upload(
        actor=actor, kind=ImportKind.MEMBERS, file=csv_upload(rows, **kwargs), cooperative=coop
    )


def run(job: ImportJob, *, good_rows_only: bool = False) -> ImportJob:
    imports.import_confirm(actor=job.created_by, job=job, good_rows_only=good_rows_only)
    import_run.call(job.pk)
    job.refresh_from_db()
    return job


# --- Mapping ------------------------------------------------------------------------------------


def test_indonesian_headers_are_mapped_to_fields_whatever_their_case_and_punctuation():
    headers = ["No.", "nama lengkap", "NIK (16 digit)", "No. HP", "Kode Wilayah", "Tgl. Masuk", "STATUS"]

    mapping = imports.auto_map(ImportKind.MEMBERS, headers)

    assert mapping == {"nik": 2, "full_name": 1, "phone": 3, "village_code": 4, "joined_on": 5, "status": 6}


def test_english_headers_and_short_indonesian_ones_are_mapped_too():
    members = imports.auto_map(ImportKind.MEMBERS, ["Name", "National ID", "Phone", "Village code", "Joined"])
    coops = imports.auto_map(
        ImportKind.COOPERATIVES, ["Kode Desa", "Nama", "Skema", "Telepon", "Alamat", "NPWP"]
    )

    assert members == {"nik": 1, "full_name": 0, "phone": 2, "village_code": 3, "joined_on": 4}
    assert coops == {"village_code": 0, "name": 1, "scheme": 2, "phone": 3, "address": 4, "npwp": 5}


def test_a_file_whose_headers_are_not_recognised_waits_for_the_mapping_then_is_checked(coop, ketua):
    headers = ["Nomor Identitas", "Anggota", "HP"]
    rows = [[nik(1), "Ani", "0812-3456-7890"], [nik(2), "Budi", ""]]

    job = upload_members(ketua, coop, rows, headers=headers)

    assert job.status == ImportStatus.UPLOADED
    assert imports.missing_fields(job.kind, job.mapping) == ["nik", "full_name"]
    assert job.mapping == {"phone": 2}

    job = imports.import_set_mapping(
        actor=ketua, job=job, mapping={"nik": "Nomor Identitas", "full_name": 1, "phone": 2}
    )

    assert job.status == ImportStatus.PREVIEWED
    assert job.mapping == {"nik": 0, "full_name": 1, "phone": 2}
    assert job.preview["counts"] == {"new": 2, "update": 0, "unchanged": 0, "error": 0}


def test_the_mapping_refuses_a_missing_required_field_an_unknown_column_and_a_column_used_twice(coop, ketua):
    job = upload_members(ketua, coop, [member_row(1)])

    with pytest.raises(DomainError) as caught:
        imports.import_set_mapping(
            actor=ketua, job=job, mapping={"nik": None, "full_name": "Nope", "phone": 3, "village_code": 3}
        )

    fields = caught.value.fields
    assert set(fields) == {"nik", "full_name", "village_code"}
    job.refresh_from_db()
    assert job.mapping["nik"] == 0  # unchanged


# --- Reading files ------------------------------------------------------------------------------


def test_a_semicolon_csv_saved_with_a_bom_is_read(coop, ketua):
    job = upload_members(ketua, coop, [member_row(1), member_row(2)], delimiter=";", bom=True)

    assert job.preview["headers"] == HEADERS
    assert job.preview["counts"]["new"] == 2


def test_an_xlsx_is_read_from_its_first_sheet_with_numbers_and_dates_as_excel_keeps_them(coop, ketua):
    rows = [
        [int(nik(1)), "Ani", 81234567890, JAHAB.replace(".", ""), dt.datetime(2025, 1, 31), "Aktif"],
        [nik(2), "Budi", "", "", "31/01/2025", "keluar"],
        [nik(3), "Citra", "", "", 45688, "meninggal"],  # 45688 = 2025-01-31 as an Excel serial
    ]

    job = imports.import_upload(
        actor=ketua, kind=ImportKind.MEMBERS, file=xlsx_upload(rows), cooperative=coop
    )
    job = run(job)

    members = {m.full_name: m for m in Member.objects.filter(cooperative=coop)}
    assert job.created_count == 3
    assert {m.joined_on for m in members.values()} == {dt.date(2025, 1, 31)}
    assert members["Ani"].phone == "+6281234567890"
    assert members["Ani"].village_id == JAHAB
    assert [members[n].status for n in ("Ani", "Budi", "Citra")] == [
        MemberStatus.ACTIVE,
        MemberStatus.RESIGNED,
        MemberStatus.DECEASED,
    ]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("foto.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "not_a_spreadsheet"),
        ("foto.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "not_a_spreadsheet"),
        ("anggota.xlsx", b"NIK,Nama\n1,2\n", "not_a_spreadsheet"),
        ("anggota.pdf", b"%PDF-1.4", "wrong_file_type"),
        ("anggota.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old_excel"),
        ("anggota.csv", b"", "file_empty"),
        ("anggota.csv", b"NIK,Nama\n", "no_rows"),
    ],
)
def test_a_file_that_cannot_be_imported_gets_a_clear_message_and_nothing_is_saved(
    coop, ketua, name, content, code
):
    with pytest.raises(DomainError) as caught:
        imports.import_upload(
            actor=ketua, kind=ImportKind.MEMBERS, file=SimpleUploadedFile(name, content), cooperative=coop
        )

    assert caught.value.code == code
    assert caught.value.fields["file"] == [str(caught.value.message)]
    assert not ImportJob.objects.exists()


def test_a_file_over_10_mb_is_refused_before_it_is_read(coop, ketua):
    big = SimpleUploadedFile("anggota.csv", b"NIK,Nama\n" + b"x" * (10 * 1024 * 1024))

    with pytest.raises(DomainError) as caught:
        imports.import_upload(actor=ketua, kind=ImportKind.MEMBERS, file=big, cooperative=coop)

    assert caught.value.code == "file_too_large"
    assert "10 MB" in str(caught.value.message)
    assert not ImportJob.objects.exists()


# --- The dry run ---------------------------------------------------------------------------------


def test_the_preview_counts_new_updated_unchanged_and_rows_with_problems_with_their_messages(coop, ketua):
    services.member_add(
        actor=ketua,
        cooperative=coop,
        nik=nik(1),
        full_name="Anggota 1",
        phone="0812-3456-7890",
        joined_on=dt.date(2025, 1, 31),
    )
    services.member_add(
        actor=ketua, cooperative=coop, nik=nik(2), full_name="Anggota 2", joined_on=dt.date(2025, 1, 31)
    )
    rows = [
        member_row(1),  # already a member, same data
        member_row(2, phone="0813-1111-2222"),  # already a member, new phone
        member_row(3),  # new
        ["1234", "Salah NIK", "", JAHAB, "2025-01-31", ""],  # bad NIK
        member_row(5, code="64.02.06.9999"),  # unknown village
        member_row(3, name="Dobel"),  # the NIK of row 4 again
        member_row(7, code="64.02.06"),  # a district, not a village
        member_row(8, joined="32/13/2025"),
    ]

    job = upload_members(ketua, coop, rows)

    assert job.status == ImportStatus.PREVIEWED
    assert job.preview["counts"] == {"new": 1, "update": 1, "unchanged": 1, "error": 5}
    assert job.error_count == 5 and job.total_rows == 8
    problems = {p["row"]: " ".join(p["problems"]) for p in job.preview["problems"]}
    assert set(problems) == {5, 6, 7, 8, 9}
    assert "16 digits" in problems[5]
    assert "Unknown village code 64.02.06.9999" in problems[6]
    assert "same NIK is on row 4" in problems[7]
    assert "not a village" in problems[8]
    assert "2026-01-31 or 31/01/2026" in problems[9]
    assert job.preview["updates"] == [{"row": 3, "fields": ["phone"]}]
    assert all(s["nik"].count("*") == 8 for s in job.preview["sample"])
    assert nik(1) not in str(job.preview)
    assert job.errors_file  # the problems can be downloaded before confirming
    assert Member.objects.filter(cooperative=coop).count() == 2  # a dry run writes nothing


def test_a_nik_in_the_wrong_column_or_in_the_header_row_is_shown_masked(coop, ketua):
    headers = ["NIK", "Nama", nik(9)]  # a file whose first row is partly data
    job = upload_members(ketua, coop, [[nik(1), "Ani", nik(1)]], headers=headers, name=f"data-{nik(8)}.csv")

    job = imports.import_set_mapping(
        actor=ketua, job=job, mapping={"nik": 0, "full_name": 1, "village_code": 2}
    )

    text = str(job.preview) + job.original_name
    assert nik(1) not in text and nik(8) not in text and nik(9) not in text
    assert "6402********0001" in text
    assert job.preview["counts"]["error"] == 1  # the village column holds a NIK


def test_thousands_of_bad_rows_are_checked_quickly_and_the_preview_lists_the_first_fifty(coop, ketua):
    rows = [[f"12345{n}", "", "not a phone", "99.99.99.9999", "kemarin", "entah"] for n in range(3000)]

    started = time.monotonic()
    job = upload_members(ketua, coop, rows)
    elapsed = time.monotonic() - started

    assert job.preview["counts"]["error"] == 3000
    assert job.preview["problem_rows"] == 3000
    assert len(job.preview["problems"]) == 50
    assert len(job.preview["problems"][0]["problems"]) == 6
    assert elapsed < 5


def test_a_second_upload_of_a_file_already_imported_says_so(coop, ketua):
    run(upload_members(ketua, coop, [member_row(1)]))

    again = upload_members(ketua, coop, [member_row(1)])

    assert again.preview["already_imported"]["job"] != again.pk
    assert again.preview["counts"] == {"new": 0, "update": 0, "unchanged": 1, "error": 0}


def test_the_template_example_row_is_not_imported_by_mistake(coop, ketua):
    example = [f.example for f in imports.fields_for(ImportKind.MEMBERS)]

    job = upload_members(ketua, coop, [example, member_row(1)])

    assert job.preview["counts"]["error"] == 1
    assert "example row" in job.preview["problems"][0]["problems"][0]


# --- Running ------------------------------------------------------------------------------------


def test_members_are_imported_and_the_same_file_again_changes_nothing(coop, ketua):
    rows = [member_row(n) for n in range(1, 21)]

    first = run(upload_members(ketua, coop, rows))
    second = run(upload_members(ketua, coop, rows))

    assert (first.status, first.created_count, first.updated_count) == (ImportStatus.DONE, 20, 0)
    assert first.percent == 100 and first.finished_at is not None
    assert (second.status, second.created_count, second.updated_count, second.unchanged_count) == (
        ImportStatus.DONE,
        0,
        0,
        20,
    )
    assert Member.objects.filter(cooperative=coop).count() == 20


def test_the_task_reads_the_rows_kept_at_upload_or_the_file_when_they_are_gone(coop, ketua):
    kept = upload_members(ketua, coop, [member_row(1)])
    gone = upload_members(ketua, coop, [member_row(2)])
    rows_file = kept.preview["rows_file"]
    assert kept.file.storage.exists(rows_file) and rows_file.endswith(".rows.json")
    gone.file.storage.delete(gone.preview["rows_file"])

    kept, gone = run(kept), run(gone)

    assert (kept.created_count, gone.created_count) == (1, 1)
    assert "rows_file" not in kept.preview and not kept.file.storage.exists(rows_file)


def test_a_row_with_new_data_updates_the_member_and_a_blank_optional_cell_keeps_what_is_stored(coop, ketua):
    run(upload_members(ketua, coop, [member_row(1, phone="0812-3456-7890")]))

    job = run(upload_members(ketua, coop, [member_row(1, name="Anggota Satu", phone="", status="keluar")]))

    member = Member.objects.get(cooperative=coop)
    assert (job.created_count, job.updated_count) == (0, 1)
    assert member.full_name == "Anggota Satu"
    assert member.phone == "+6281234567890"
    assert member.status == MemberStatus.RESIGNED
    assert member.status_changed_on is not None


def test_by_default_nothing_is_imported_when_one_row_has_a_problem(coop, ketua):
    rows = [member_row(1), member_row(2), ["1234", "Salah", "", "", "", ""]]

    job = run(upload_members(ketua, coop, rows))

    assert job.status == ImportStatus.FAILED
    assert (job.created_count, job.error_count) == (0, 1)
    assert "Nothing was imported" in job.message
    assert job.errors_file
    assert not Member.objects.filter(cooperative=coop).exists()


def test_with_good_rows_only_the_good_rows_are_imported_and_the_others_reported(coop, ketua):
    rows = [member_row(1), member_row(2), ["1234", "Salah", "", "", "", ""]]

    job = run(upload_members(ketua, coop, rows), good_rows_only=True)

    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.error_count) == (2, 1)
    assert Member.objects.filter(cooperative=coop).count() == 2


def test_a_failed_import_can_then_import_its_good_rows_only(coop, ketua):
    job = run(upload_members(ketua, coop, [member_row(1), ["1234", "Salah", "", "", "", ""]]))
    assert job.status == ImportStatus.FAILED

    job = run(job, good_rows_only=True)

    assert (job.status, job.created_count) == (ImportStatus.DONE, 1)


def test_data_that_changed_since_the_preview_is_checked_again_when_the_import_runs(coop, ketua):
    job = upload_members(ketua, coop, [member_row(1), member_row(2)])
    assert job.preview["counts"]["new"] == 2
    services.member_add(
        actor=ketua, cooperative=coop, nik=nik(1), full_name="Anggota 1", joined_on=dt.date(2025, 1, 31)
    )

    job = run(job)

    assert (job.status, job.created_count, job.updated_count) == (ImportStatus.DONE, 1, 1)


def test_a_write_that_fails_leaves_the_data_as_it_was(coop, ketua, monkeypatch, caplog):
    job = upload_members(ketua, coop, [member_row(1), member_row(2)])

    def broken(*args, **kwargs):
        Member.objects.create(
            cooperative=coop, nik=nik(9), full_name="Half", village_id=JAHAB, joined_on=dt.date(2025, 1, 1)
        )
        raise RuntimeError(f"disk full while writing {nik(1)}")

    monkeypatch.setattr(services, "announce", broken)
    job = run(job)

    assert job.status == ImportStatus.FAILED
    assert "unexpected error" in job.message
    assert not Member.objects.filter(cooperative=coop).exists()
    assert "RuntimeError" in caplog.text and nik(1) not in caplog.text


def test_the_import_is_audited_once_with_its_counts_and_never_logs_a_nik(coop, ketua, caplog):
    caplog.set_level(logging.DEBUG)
    rows = [member_row(1), member_row(2), ["1234", "Salah", "", "", "", ""]]

    run(upload_members(ketua, coop, rows), good_rows_only=True)

    event = AuditEvent.objects.get(action="cooperatives.import.members")
    assert event.changes["created"] == 2 and event.changes["errors"] == 1
    assert event.region_code == JAHAB
    assert not AuditEvent.objects.filter(
        action="cooperatives.member.add"
    ).exists()  # one record, not one per row
    text = caplog.text + str(list(AuditEvent.objects.values_list("changes", "object_repr")))
    assert nik(1) not in text and nik(2) not in text


def test_the_error_sheet_keeps_the_original_columns_and_adds_the_row_and_the_problem(coop, ketua):
    rows = [
        member_row(1),
        ["1234", "Salah NIK", "0812-3456-7890", JAHAB, "2025-01-31", "aktif"],
        member_row(1),
    ]

    job = run(upload_members(ketua, coop, rows), good_rows_only=True)

    sheet = load_workbook(job.errors_file.open("rb")).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == [*HEADERS, "Row", "Problem"]
    assert values[1][:6] == ["1234", "Salah NIK", "0812-3456-7890", JAHAB, "2025-01-31", "aktif"]
    assert values[1][6] == 3 and "16 digits" in values[1][7]
    assert values[2][0] == nik(1)  # the uploader's own data comes back whole, as text
    assert values[2][6] == 4 and "row 2" in values[2][7]
    assert len(values) == 3


def test_a_member_import_publishes_the_cooperatives_new_measures_once(coop, ketua):
    seen = []
    from kopdes.core import events

    events.subscribe("cooperatives.changed")(lambda **payload: seen.append(payload))
    try:
        run(upload_members(ketua, coop, [member_row(n) for n in range(1, 6)]))
    finally:
        events._handlers["cooperatives.changed"] = [
            h for h in events._handlers["cooperatives.changed"] if getattr(h, "__name__", "") != "<lambda>"
        ]

    assert len(seen) == 1
    assert seen[0]["after"]["members_active"] == 5


def test_a_task_delivered_twice_runs_once(coop, ketua):
    job = upload_members(ketua, coop, [member_row(1)])
    imports.import_confirm(actor=ketua, job=job)

    import_run.call(job.pk)
    result = import_run.call(job.pk)

    job.refresh_from_db()
    assert job.created_count == 1
    assert result["status"] == ImportStatus.DONE


def test_an_officer_who_lost_their_role_before_the_import_ran_imports_nothing(coop, ketua):
    job = upload_members(ketua, coop, [member_row(1)])
    imports.import_confirm(actor=ketua, job=job)
    ketua.role_assignments.update(revoked_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))

    import_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert not Member.objects.exists()


# --- Cooperatives -------------------------------------------------------------------------------

COOP_HEADERS = ["Kode Desa", "Nama Koperasi", "Skema", "NPWP", "NIB", "Telepon", "Alamat"]


def upload_coops(actor, rows, region="64.02") -> ImportJob:
    return imports.import_upload(
        actor=actor,
        kind=ImportKind.COOPERATIVES,
        file=csv_upload(rows, headers=COOP_HEADERS, name="koperasi.csv"),
        region=village(region),
    )


def test_cooperatives_are_imported_into_the_admins_region_and_again_change_nothing(kukar_admin):
    rows = [
        [JAHAB.replace(".", ""), "", "baru", "", "", "0812-3456-7890", "Jl. Mulawarman 1"],
        [LOA_IPUH, "KDMP Loa Ipuh", "revitalisasi", "01.234.567.8-901.000", "1234567890123", "", ""],
    ]

    first = run(upload_coops(kukar_admin, rows))
    second = run(upload_coops(kukar_admin, rows))

    assert (first.status, first.created_count) == (ImportStatus.DONE, 2)
    jahab = Cooperative.objects.get(village_id=JAHAB)
    loa_ipuh = Cooperative.objects.get(village_id=LOA_IPUH)
    assert jahab.name == "Koperasi Kelurahan Merah Putih Jahab"
    assert jahab.phone == "+6281234567890"
    assert loa_ipuh.scheme == Scheme.REVITALIZE and loa_ipuh.npwp == "0012345678901000"
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 2)


def test_a_cooperatives_file_is_checked_against_the_region_and_the_villages_already_served(kukar_admin, coop):
    CooperativeVillage.objects.create(cooperative=coop, village=village(BUKIT_BIRU))
    rows = [
        [JAHAB, "", "", "", "", "", "Jl. Baru 2"],  # Jahab's cooperative: a new address
        [BUKIT_BIRU, "", "", "", "", "", ""],  # shares Jahab's cooperative
        [MASABEWA, "", "", "", "", "", ""],  # in Sikka
        [LOA_IPUH, "", "lama", "123", "12", "", ""],
    ]

    job = upload_coops(kukar_admin, rows)

    problems = {p["row"]: " ".join(p["problems"]) for p in job.preview["problems"]}
    assert job.preview["counts"] == {"new": 0, "update": 1, "unchanged": 0, "error": 3}
    assert "served by Koperasi Kelurahan Merah Putih Jahab" in problems[3]
    assert "outside Kabupaten Kutai Kartanegara" in problems[4]
    assert (
        "Skema" not in problems[5]
        and "Scheme" in problems[5]
        and "NPWP" in problems[5]
        and "NIB" in problems[5]
    )

    job = run(job, good_rows_only=True)

    coop.refresh_from_db()
    assert (job.updated_count, coop.address) == (1, "Jl. Baru 2")


# --- Who may do what ----------------------------------------------------------------------------


def test_the_officer_of_another_cooperative_cannot_import_its_members(coop, other_ketua):
    with pytest.raises(PolicyDenied):
        upload_members(other_ketua, coop, [member_row(1)])
    assert not ImportJob.objects.exists()


def test_a_regency_admin_cannot_import_cooperatives_of_another_regency(sikka_admin):
    with pytest.raises(PolicyDenied):
        upload_coops(sikka_admin, [[JAHAB, "", "", "", "", "", ""]])


def test_a_buyer_can_import_nothing(coop, buyer):
    with pytest.raises(PolicyDenied):
        upload_members(buyer, coop, [member_row(1)])
    with pytest.raises(PolicyDenied):
        upload_coops(buyer, [[JAHAB, "", "", "", "", "", ""]])


def test_an_import_is_seen_by_its_creator_and_the_admins_of_its_region_only(
    coop, ketua, kukar_admin, sikka_admin
):
    job = upload_members(ketua, coop, [member_row(1)])
    fellow = person(Role.SEKRETARIS, region=JAHAB, org=coop.organization)

    assert imports.import_get(user=ketua, pk=job.pk) == job
    assert imports.import_get(user=kukar_admin, pk=job.pk) == job
    for outsider in (fellow, sikka_admin):
        with pytest.raises(PolicyDenied):
            imports.import_get(user=outsider, pk=job.pk)
    assert list(imports.import_list(user=kukar_admin)) == [job]
    assert list(imports.import_list(user=sikka_admin)) == []


# --- Pages --------------------------------------------------------------------------------------


def test_an_officer_uploads_a_file_sees_the_preview_and_confirms_it(
    client, coop, ketua, django_capture_on_commit_callbacks
):
    client.force_login(ketua)
    start = reverse("cooperatives:import_start") + f"?cooperative={coop.pk}"

    page = client.get(start)
    uploaded = client.post(start, {"file": csv_upload([member_row(1), member_row(2)])})
    job = ImportJob.objects.get()
    detail = client.get(uploaded["Location"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        confirmed = client.post(detail.request["PATH_INFO"], {"action": "confirm", "good_rows_only": "0"})

    assert page.status_code == 200
    assert reverse("cooperatives:import_template", args=["members"]) in page.content.decode()
    assert uploaded.status_code == 302 and uploaded["Location"] == reverse(
        "cooperatives:import_detail", args=[job.pk]
    )
    assert detail.status_code == 200 and detail.context["counts"]["new"] == 2
    assert confirmed.status_code == 302
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED


def test_a_file_that_is_not_a_spreadsheet_is_shown_on_the_upload_form(client, coop, ketua):
    client.force_login(ketua)

    response = client.post(
        reverse("cooperatives:import_start") + f"?cooperative={coop.pk}",
        {"file": SimpleUploadedFile("foto.xlsx", b"\x89PNG\r\n\x1a\n")},
    )

    assert response.status_code == 200
    assert "not a spreadsheet" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_admin_starts_a_cooperatives_import_in_their_region(client, kukar_admin):
    client.force_login(kukar_admin)

    page = client.get(reverse("cooperatives:import_start"))
    response = client.post(
        reverse("cooperatives:import_start"),
        {
            "region__1": "64",
            "region__2": "64.02",
            "file": csv_upload([[JAHAB, "", "", "", "", "", ""]], headers=COOP_HEADERS, name="k.csv"),
        },
    )

    assert page.status_code == 200 and page.context["form"].initial["region"].code == "64.02"
    assert response.status_code == 302
    assert ImportJob.objects.get().region_id == "64.02"


def test_a_region_outside_the_admins_own_is_refused_on_the_form(client, kukar_admin):
    client.force_login(kukar_admin)

    response = client.post(
        reverse("cooperatives:import_start"),
        {
            "region__1": "53",
            "region__2": "53.07",
            "file": csv_upload([[MASABEWA, "", "", "", "", "", ""]], headers=COOP_HEADERS, name="k.csv"),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["region"]
    assert not ImportJob.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_the_upload_pages_are_refused_to_a_buyer_and_to_another_cooperatives_officer(
    client, coop, buyer, other_ketua
):
    client.force_login(buyer)
    assert client.get(reverse("cooperatives:import_start")).status_code == 403
    client.force_login(other_ketua)
    assert client.get(reverse("cooperatives:import_start") + f"?cooperative={coop.pk}").status_code == 403


def test_an_officer_without_a_cooperative_chosen_is_asked_which_one(client, coop, ketua):
    client.force_login(ketua)

    response = client.get(reverse("cooperatives:import_start"))

    assert response.status_code == 200
    assert f"?cooperative={coop.pk}" in response.content.decode()


def test_the_columns_are_fixed_on_the_page(client, coop, ketua):
    client.force_login(ketua)
    job = upload_members(ketua, coop, [[nik(1), "Ani"]], headers=["Nomor Identitas", "Anggota"])
    url = reverse("cooperatives:import_detail", args=[job.pk])

    page = client.get(url)
    wrong = client.post(url, {"action": "map", "nik": "0"})
    right = client.post(url, {"action": "map", "nik": "0", "full_name": "1"})

    assert page.status_code == 200 and page.context["missing"] == ["nik", "full_name"]
    assert wrong.status_code == 200 and wrong.context["mapping_form"].errors["full_name"]
    assert right.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED


def test_the_progress_block_polls_while_the_import_runs_and_stops_when_it_is_done(client, coop, ketua):
    client.force_login(ketua)
    job = upload_members(ketua, coop, [member_row(1)])
    imports.import_confirm(actor=ketua, job=job)
    url = reverse("cooperatives:import_progress", args=[job.pk])

    waiting = client.get(url, HTTP_HX_REQUEST="true")
    import_run.call(job.pk)
    done = client.get(url, HTTP_HX_REQUEST="true")
    plain = client.get(url)

    assert 'hx-trigger="every 1s"' in waiting.content.decode()
    body = done.content.decode()
    assert "hx-trigger" not in body
    assert 'value="100"' in body and "100%" in body
    assert plain.status_code == 302


def test_the_error_sheet_is_downloaded_by_its_creator_and_refused_to_others(client, coop, ketua, sikka_admin):
    job = run(
        upload_members(ketua, coop, [["1234", "Salah", "", "", "", ""], member_row(1)]), good_rows_only=True
    )
    url = reverse("cooperatives:import_errors", args=[job.pk])

    client.force_login(ketua)
    mine = client.get(url)
    client.force_login(sikka_admin)
    theirs = client.get(url)

    assert mine.status_code == 200
    assert mine["Content-Type"] == imports.XLSX_TYPE
    assert "no-store" in mine["Cache-Control"]
    sheet = load_workbook(io.BytesIO(b"".join(mine.streaming_content))).worksheets[0]
    assert sheet.max_row == 2
    assert theirs.status_code == 403


def test_the_template_has_the_expected_headers_and_an_example_row_that_checks(client, ketua):
    client.force_login(ketua)

    response = client.get(reverse("cooperatives:import_template", args=["members"]))
    missing = client.get("/koperasi/impor/templat/lainnya.xlsx")

    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert response.status_code == 200
    assert list(rows[0]) == HEADERS
    assert imports.auto_map(ImportKind.MEMBERS, list(rows[0])) == {
        "nik": 0,
        "full_name": 1,
        "phone": 2,
        "village_code": 3,
        "joined_on": 4,
        "status": 5,
    }
    assert rows[1][0] == imports.EXAMPLE_NIK
    assert missing.status_code == 404


def test_the_import_pages_show_only_what_the_user_may_see(client, coop, ketua, sikka_admin):
    job = upload_members(ketua, coop, [member_row(1)])
    client.force_login(sikka_admin)

    assert client.get(reverse("cooperatives:import_detail", args=[job.pk])).status_code == 403
    assert client.get(reverse("cooperatives:import_progress", args=[job.pk])).status_code == 403
    assert client.get(reverse("cooperatives:import_detail", args=[job.pk + 100])).status_code == 404


def test_the_imports_list_runs_a_fixed_number_of_queries(
    client, coop, kukar_admin, django_assert_max_num_queries
):
    for n in range(5):
        upload_members(kukar_admin, coop, [member_row(n + 1)])
    upload_coops(kukar_admin, [[LOA_IPUH, "", "", "", "", "", ""]])
    client.force_login(kukar_admin)

    with django_assert_max_num_queries(9):
        response = client.get(reverse("cooperatives:import_list"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 6


def test_the_imports_list_says_what_to_do_when_it_is_empty_and_is_refused_to_a_buyer(client, ketua, buyer):
    client.force_login(ketua)
    response = client.get(reverse("cooperatives:import_list"))
    client.force_login(buyer)
    refused = client.get(reverse("cooperatives:import_list"))

    assert "No import yet" in response.content.decode()
    assert f"?cooperative={ketua.active_roles()[0].organization.cooperative.pk}" in response.content.decode()
    assert refused.status_code == 403


# --- The task through the configured backend -----------------------------------------------------


def run_worker() -> None:
    from django.core.management import call_command

    if settings.REDIS_URL:
        import django_rq
        from rq import SimpleWorker

        worker = django_rq.get_worker("default", worker_class=SimpleWorker, job_class="django_tasks_rq.Job")
        worker.work(burst=True)
    else:
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_a_confirmed_import_runs_through_the_configured_task_backend(
    coop, ketua, django_capture_on_commit_callbacks
):
    if settings.REDIS_URL:
        import django_rq

        django_rq.get_queue("default").empty()
    job = upload_members(ketua, coop, [member_row(n) for n in range(1, 4)])

    with django_capture_on_commit_callbacks(execute=True):
        imports.import_confirm(actor=ketua, job=job)
    run_worker()

    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 3)


# --- API ----------------------------------------------------------------------------------------


def _mounted() -> bool:
    from config.api import api

    return any(router is imports_router for _prefix, router in api._routers)


def __getattr__(name: str):
    # Until the router is mounted in config/api.py, the API tests use this module as their URLconf.
    if name == "urlpatterns":
        from ninja import NinjaAPI

        from config import urls as site
        from kopdes.accounts.api_auth import API_AUTH
        from kopdes.core.api import install_error_handlers

        api = NinjaAPI(urls_namespace="api", auth=API_AUTH, version="imports-test")
        install_error_handlers(api)
        api.add_router("/imports", imports_router)
        others = [p for p in site.urlpatterns if not str(p.pattern).startswith("api/")]
        globals()["urlpatterns"] = [path("api/v1/", api.urls), *others]
        return globals()["urlpatterns"]
    raise AttributeError(name)


@pytest.fixture
def api_urls(settings):
    if not _mounted():
        settings.ROOT_URLCONF = __name__


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


def test_the_api_uploads_maps_checks_confirms_and_reports_an_import(client, api_urls, coop, ketua):
    headers = bearer(ketua)
    rows = [[nik(1), "Ani", "0812-3456-7890"], ["123", "Salah", ""]]
    upload = csv_upload(rows, headers=["Nomor Identitas", "Nama", "HP"])

    created = client.post(
        "/api/v1/imports", {"kind": "members", "cooperative_id": coop.pk, "file": upload}, **headers
    )
    job_id = created.json()["id"]
    mapped = client.put(
        f"/api/v1/imports/{job_id}/mapping",
        {"mapping": {"nik": "Nomor Identitas", "full_name": 1, "phone": "HP"}},
        content_type="application/json",
        **headers,
    )
    confirmed = client.post(
        f"/api/v1/imports/{job_id}/confirm",
        {"good_rows_only": True},
        content_type="application/json",
        **headers,
    )
    import_run.call(job_id)
    status = client.get(f"/api/v1/imports/{job_id}", **headers)
    sheet = client.get(status.json()["errors_url"], **headers)

    assert created.status_code == 201, created.content
    assert created.json()["status"] == "uploaded" and created.json()["missing"] == ["nik"]
    assert mapped.status_code == 200
    assert mapped.json()["preview"]["counts"] == {"new": 1, "update": 0, "unchanged": 0, "error": 1}
    assert nik(1) not in mapped.content.decode()
    assert confirmed.status_code == 202 and confirmed.json()["status"] == "queued"
    body = status.json()
    assert (body["status"], body["percent"], body["created_count"], body["error_count"]) == (
        "done",
        100,
        1,
        1,
    )
    assert sheet.status_code == 200 and sheet["Content-Type"] == imports.XLSX_TYPE


def test_the_api_refuses_what_the_user_may_not_do_in_its_error_format(
    client, api_urls, coop, ketua, other_ketua, sikka_admin
):
    job = upload_members(ketua, coop, [member_row(1)])

    refused_upload = client.post(
        "/api/v1/imports",
        {"kind": "members", "cooperative_id": coop.pk, "file": csv_upload([member_row(2)])},
        **bearer(other_ketua),
    )
    refused_region = client.post(
        "/api/v1/imports",
        {
            "kind": "cooperatives",
            "region_code": "64.02",
            "file": csv_upload([[JAHAB]], headers=["Kode Desa"]),
        },
        **bearer(sikka_admin),
    )
    refused_view = client.get(f"/api/v1/imports/{job.pk}", **bearer(sikka_admin))
    not_a_sheet = client.post(
        "/api/v1/imports",
        {"kind": "members", "cooperative_id": coop.pk, "file": SimpleUploadedFile("a.xlsx", b"\x89PNG\r\n")},
        **bearer(ketua),
    )
    no_errors = client.get(f"/api/v1/imports/{job.pk}/errors", **bearer(ketua))

    assert_error(refused_upload, 403, "forbidden")
    assert_error(refused_region, 403, "forbidden")
    assert_error(refused_view, 403, "forbidden")
    error = assert_error(not_a_sheet, 400, "not_a_spreadsheet")
    assert error["fields"]["file"]
    assert_error(no_errors, 404, "no_error_sheet")
    assert_error(client.get(f"/api/v1/imports/{job.pk}"), 401, "not_authenticated")


def test_the_api_lists_imports_and_serves_the_template(client, api_urls, coop, ketua):
    upload_members(ketua, coop, [member_row(1)])
    headers = bearer(ketua)

    listed = client.get("/api/v1/imports", **headers)
    template = client.get("/api/v1/imports/templates/cooperatives", **headers)

    assert listed.json()["count"] == 1
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).worksheets[0]["A1"].value == "Kode Desa"


def test_the_openapi_schema_documents_the_import_endpoints(client, api_urls, regions):
    schema = client.get("/api/v1/openapi.json").json()

    paths = schema["paths"]
    assert {"/api/v1/imports", "/api/v1/imports/{job_id}/mapping", "/api/v1/imports/{job_id}/confirm"} <= set(
        paths
    )
    assert "multipart/form-data" in paths["/api/v1/imports"]["post"]["requestBody"]["content"]


def test_an_import_whose_worker_died_is_marked_failed_and_saved_nothing(ketua, coop):
    import datetime as dt

    from django.utils import timezone

    from kopdes.cooperatives.choices import ImportStatus

    job = upload_members(ketua, coop, [member_row(1)])
    imports.import_confirm(actor=ketua, job=job)
    # The worker claimed it, reported progress once, and was never heard of again.
    stalled_since = timezone.now() - dt.timedelta(minutes=16)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, heartbeat_at=stalled_since)

    seen = imports.import_get(user=ketua, pk=job.pk)

    assert seen.status == ImportStatus.FAILED and "nothing was saved" in seen.message
    assert not coop.members.exists()


def test_a_running_import_that_still_reports_progress_is_left_alone(ketua, coop):
    from django.utils import timezone

    from kopdes.cooperatives.choices import ImportStatus

    job = upload_members(ketua, coop, [member_row(1)])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, heartbeat_at=timezone.now())

    assert imports.imports_reap_stalled() == 0
    assert imports.import_get(user=ketua, pk=job.pk).status == ImportStatus.RUNNING


def _next_ids_from(model, start: int) -> None:
    """The next row of `model` gets an id of `start` + 1 or more (ids of four digits and more)."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, start])
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start])


def test_links_carry_ids_of_four_digits_and_more_without_a_thousands_separator(client, regions):
    from kopdes.cooperatives.models import Cooperative

    _next_ids_from(Cooperative, 12_344)
    coop = services.cooperative_create(actor=None, village=village(JAHAB))
    assert coop.pk >= 12_345
    client.force_login(person(Role.KETUA, region=JAHAB, org=coop.organization))

    html = client.get(reverse("cooperatives:import_start")).content.decode()

    assert f'?cooperative={coop.pk}"' in html
