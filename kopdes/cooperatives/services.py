"""Every write to the cooperative registry goes through these services.

Each write that changes what coverage counts publishes `cooperatives.changed` with the
cooperative's measures before and after (see `selectors.cooperative_measures`), inside the
transaction, for the read models to follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kopdes.accounts.choices import OrgKind, Role
from kopdes.accounts.services import organization_create, role_ensure, role_revoke
from kopdes.core.audit import audit_record, diff
from kopdes.core.errors import Conflict, DomainError
from kopdes.core.events import publish
from kopdes.core.policies import require
from kopdes.regions.models import Region

from . import validators as v
from .choices import STAGE_ORDER, MemberStatus, Scheme, Stage, StageStatus, UnitKind, UnitStatus, stage_index
from .models import BusinessUnit, Cooperative, CooperativeVillage, Member, Officer, StageRecord
from .selectors import cooperative_measures

IDENTITY_FIELDS = (
    "name",
    "scheme",
    "registration_number",
    "deed_number",
    "deed_date",
    "ahu_number",
    "ahu_date",
    "nib",
    "npwp",
    "bank_name",
    "bank_account_number",
    "bank_account_name",
    "address",
    "latitude",
    "longitude",
    "phone",
    "email",
    "qris_payload",
    "description",
)


def propose_name(village: Region) -> str:
    """The official name pattern: "Koperasi Desa|Kelurahan Merah Putih <village>"."""
    word = "Kelurahan" if village.kind == "kelurahan" else "Desa"
    return f"Koperasi {word} Merah Putih {village.name}"


def announce(cooperative: Cooperative, before: dict[str, int]) -> None:
    """Publish the change of a cooperative's measures (for bulk writers such as imports too)."""
    after = cooperative_measures(cooperative=cooperative)
    if after != before:
        publish(
            "cooperatives.changed",
            village_code=cooperative.village_id,
            before=before,
            after=after,
        )


def _clean_identity(fields: dict[str, Any]) -> dict[str, Any]:
    clean = dict(fields)
    if "npwp" in clean:
        clean["npwp"] = v.clean_npwp(clean["npwp"] or "")
    if "phone" in clean:
        clean["phone"] = v.clean_phone(clean["phone"] or "")
    if "nib" in clean:
        clean["nib"] = v.clean_nib(clean["nib"] or "")
    if "email" in clean:
        clean["email"] = v.clean_email(clean["email"] or "")
    if "qris_payload" in clean:
        clean["qris_payload"] = v.clean_qris(clean["qris_payload"] or "")
    if "latitude" in clean or "longitude" in clean:
        clean["latitude"], clean["longitude"] = v.clean_coordinates(
            clean.get("latitude"), clean.get("longitude")
        )
    if "scheme" in clean and clean["scheme"] not in Scheme.values:
        raise v.invalid("scheme", _("Unknown scheme."))
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"]:
            raise v.invalid("name", _("A cooperative needs a name."))
    for first, second, field in (("deed_date", "ahu_date", "ahu_date"),):
        if clean.get(first) and clean.get(second) and clean[second] < clean[first]:
            raise v.invalid(field, _("The AHU decree cannot come before the notarial deed."))
    return clean


def _claim_villages(cooperative: Cooperative, villages: Iterable[Region], *, seat: Region) -> None:
    rows = [CooperativeVillage(cooperative=cooperative, village=seat, is_seat=True)]
    for village in villages:
        if village.code == seat.code:
            continue
        if village.level != 4:
            raise v.invalid("shared_villages", _("Only villages can share a cooperative."))
        rows.append(CooperativeVillage(cooperative=cooperative, village=village))
    try:
        with transaction.atomic():
            CooperativeVillage.objects.bulk_create(rows)
    except IntegrityError:
        taken = CooperativeVillage.objects.filter(village__in=[r.village for r in rows]).select_related(
            "cooperative"
        )
        names = ", ".join(f"{c.village_id} ({c.cooperative.name})" for c in taken)
        raise Conflict(
            _("These villages already have a cooperative: %(names)s") % {"names": names},
            code="village_taken",
            fields={"village": [_("This village already has a cooperative.")]},
        ) from None


@transaction.atomic
def cooperative_create(
    *,
    actor,
    village: Region,
    shared_villages: Iterable[Region] = (),
    name: str = "",
    scheme: str = Scheme.NEW,
    **identity: Any,
) -> Cooperative:
    """Register the cooperative of a village (and of small villages that share it)."""
    if village is None or village.level != 4:
        raise v.invalid("village", _("Choose the village (desa/kelurahan) of the cooperative."))
    if actor is not None:
        require(actor, "cooperatives.create", village)
    if CooperativeVillage.objects.filter(village=village).exists():
        raise Conflict(
            _("%(village)s already has a cooperative.") % {"village": village.name},
            code="village_taken",
            fields={"village": [_("This village already has a cooperative.")]},
        )
    fields = _clean_identity({"name": name or propose_name(village), "scheme": scheme, **identity})
    org = _existing_org(village)
    if org is None:
        org = organization_create(actor=None, kind=OrgKind.COOPERATIVE, name=fields["name"], region=village)
    elif org.name != fields["name"]:
        org.name = fields["name"]
        org.save(update_fields=["name"])
    cooperative = Cooperative.objects.create(
        organization=org, village=village, slug=village.code.replace(".", ""), **fields
    )
    _claim_villages(cooperative, shared_villages, seat=village)
    audit_record(
        actor=actor,
        action="cooperatives.create",
        obj=cooperative,
        changes={k: str(val) for k, val in fields.items() if val not in ("", None)},
    )
    announce(cooperative, {})
    return cooperative


def _existing_org(village: Region):
    """A cooperative organisation already registered for the village (e.g. by the demo data)."""
    from kopdes.accounts.models import Organization

    return (
        Organization.objects.filter(kind=OrgKind.COOPERATIVE, region=village, cooperative__isnull=True)
        .order_by("id")
        .first()
    )


@transaction.atomic
def cooperative_update(*, actor, cooperative: Cooperative, **fields: Any) -> Cooperative:
    """Change a cooperative's identity (numbers, bank, address, map point, QRIS, profile)."""
    require(actor, "cooperatives.update", cooperative)
    unknown = set(fields) - set(IDENTITY_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    clean = _clean_identity(fields)
    before = {k: getattr(cooperative, k) for k in clean}
    measures = cooperative_measures(cooperative=cooperative)
    for key, value in clean.items():
        setattr(cooperative, key, value)
    if "deed_date" in clean or "ahu_date" in clean:
        _clean_identity({"deed_date": cooperative.deed_date, "ahu_date": cooperative.ahu_date})
    cooperative.save()
    changes = diff({k: str(x) for k, x in before.items()}, {k: str(getattr(cooperative, k)) for k in clean})
    if changes:
        audit_record(actor=actor, action="cooperatives.update", obj=cooperative, changes=changes)
    announce(cooperative, measures)
    return cooperative


def next_stage(cooperative: Cooperative) -> str | None:
    """The stage that may be recorded now, or None while one awaits verification or all are done."""
    if not cooperative.stage:
        return Stage.SOSIALISASI
    if cooperative.stage_status == StageStatus.SENT_BACK:
        return cooperative.stage
    if cooperative.stage_status != StageStatus.VERIFIED:
        return None
    index = stage_index(cooperative.stage)
    return STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None


@transaction.atomic
def stage_record(
    *,
    actor,
    cooperative: Cooperative,
    stage: str,
    happened_on: dt.date,
    evidence=None,
    notes: str = "",
) -> StageRecord:
    """Record the next formation stage, with its date and evidence, for the regency to verify."""
    cooperative = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    record = StageRecord(
        cooperative=cooperative,
        stage=stage,
        status=StageStatus.SUBMITTED,
        happened_on=happened_on,
        notes=notes,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    require(actor, "cooperatives.stage.record", record)
    expected = next_stage(cooperative)
    if stage not in STAGE_ORDER:
        raise v.invalid("stage", _("Unknown stage."))
    if expected is None:
        message = (
            _("The formation is complete.")
            if cooperative.stage == Stage.OPERASIONAL and cooperative.stage_status == StageStatus.VERIFIED
            else _("The last stage is still awaiting verification by the regency.")
        )
        raise DomainError(message, code="stage_pending", fields={"stage": [message]})
    if stage != expected:
        message = _("Stages cannot be skipped or go backwards: the next stage is %(stage)s.") % {
            "stage": Stage(expected).label
        }
        raise DomainError(message, code="stage_order", fields={"stage": [message]})
    if happened_on > timezone.localdate():
        raise v.invalid("happened_on", _("The date cannot be in the future."))
    # Compared with the stage just before this one (after a rollback, later ones no longer count).
    previous = STAGE_ORDER[stage_index(stage) - 1] if stage_index(stage) else None
    last = (
        cooperative.stage_records.filter(status=StageStatus.VERIFIED, stage=previous)
        .order_by("-recorded_at")
        .first()
        if previous
        else None
    )
    if last and happened_on < last.happened_on:
        raise v.invalid("happened_on", _("The date cannot be before the previous stage."))
    if evidence is not None:
        record.evidence = v.clean_evidence(evidence)
    record.save()
    measures = cooperative_measures(cooperative=cooperative)
    cooperative.stage, cooperative.stage_status = stage, StageStatus.SUBMITTED
    cooperative.save(update_fields=["stage", "stage_status", "updated_at"])
    audit_record(
        actor=actor,
        action="cooperatives.stage.record",
        obj=cooperative,
        changes={"stage": stage, "happened_on": str(happened_on)},
    )
    announce(cooperative, measures)
    return record


def _pending(record: StageRecord) -> StageRecord:
    record = StageRecord.objects.select_for_update().select_related("cooperative").get(pk=record.pk)
    if record.status != StageStatus.SUBMITTED:
        raise DomainError(_("This stage has already been decided."), code="stage_decided")
    return record


@transaction.atomic
def stage_verify(*, actor, record: StageRecord) -> StageRecord:
    """The regency office confirms a recorded stage."""
    require(actor, "cooperatives.stage.verify", record)
    record = _pending(record)
    cooperative = record.cooperative
    measures = cooperative_measures(cooperative=cooperative)
    record.status, record.decided_by, record.decided_at = StageStatus.VERIFIED, actor, timezone.now()
    record.save(update_fields=["status", "decided_by", "decided_at"])
    cooperative.stage_status = StageStatus.VERIFIED
    cooperative.save(update_fields=["stage_status", "updated_at"])
    audit_record(
        actor=actor, action="cooperatives.stage.verify", obj=cooperative, changes={"stage": record.stage}
    )
    announce(cooperative, measures)
    return record


@transaction.atomic
def stage_send_back(*, actor, record: StageRecord, reason: str) -> StageRecord:
    """The regency office returns a recorded stage with what to fix."""
    require(actor, "cooperatives.stage.verify", record)
    reason = (reason or "").strip()
    if not reason:
        raise v.invalid("reason", _("Say why the stage is sent back."))
    record = _pending(record)
    cooperative = record.cooperative
    measures = cooperative_measures(cooperative=cooperative)
    record.status, record.reason = StageStatus.SENT_BACK, reason
    record.decided_by, record.decided_at = actor, timezone.now()
    record.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    cooperative.stage_status = StageStatus.SENT_BACK
    cooperative.save(update_fields=["stage_status", "updated_at"])
    audit_record(
        actor=actor,
        action="cooperatives.stage.send_back",
        obj=cooperative,
        changes={"stage": record.stage, "reason": reason},
    )
    announce(cooperative, measures)
    return record


@transaction.atomic
def stage_roll_back(*, actor, cooperative: Cooperative, to_stage: str, reason: str) -> StageRecord:
    """The regency office moves a cooperative back to an earlier verified stage, with a reason."""
    require(actor, "cooperatives.stage.rollback", cooperative)
    cooperative = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    reason = (reason or "").strip()
    if not reason:
        raise v.invalid("reason", _("Say why the cooperative goes back a stage."))
    if (
        to_stage not in STAGE_ORDER
        or not cooperative.stage
        or stage_index(to_stage) >= stage_index(cooperative.stage)
    ):
        raise v.invalid("to_stage", _("Choose an earlier stage than the current one."))
    if not cooperative.stage_records.filter(stage=to_stage, status=StageStatus.VERIFIED).exists():
        raise v.invalid("to_stage", _("The cooperative never had that stage verified."))
    measures = cooperative_measures(cooperative=cooperative)
    record = StageRecord.objects.create(
        cooperative=cooperative,
        stage=to_stage,
        status=StageStatus.ROLLED_BACK,
        happened_on=timezone.localdate(),
        recorded_by=actor,
        decided_by=actor,
        decided_at=timezone.now(),
        reason=reason,
    )
    previous = cooperative.stage
    cooperative.stage, cooperative.stage_status = to_stage, StageStatus.VERIFIED
    cooperative.save(update_fields=["stage", "stage_status", "updated_at"])
    audit_record(
        actor=actor,
        action="cooperatives.stage.roll_back",
        obj=cooperative,
        changes={"stage": [previous, to_stage], "reason": reason},
    )
    announce(cooperative, measures)
    return record


@transaction.atomic
def officer_appoint(
    *,
    actor,
    cooperative: Cooperative,
    user,
    position: str,
    term_start: dt.date,
    term_end: dt.date | None = None,
) -> Officer:
    """Appoint an officer for a term; they get the matching role scoped to this cooperative."""
    require(actor, "cooperatives.officer.manage", cooperative)
    if term_end and term_end < term_start:
        raise v.invalid("term_end", _("A term cannot end before it starts."))
    if Officer.objects.filter(
        cooperative=cooperative, user=user, position=position, ended_at__isnull=True
    ).exists():
        raise Conflict(_("This person already holds this position."), code="duplicate_officer")
    # The role follows from the appointment the actor may make; the grant itself is the system's.
    assignment = role_ensure(actor=None, user=user, role=position, organization=cooperative.organization)
    officer = Officer.objects.create(
        cooperative=cooperative,
        user=user,
        position=position,
        term_start=term_start,
        term_end=term_end,
        role_assignment=assignment,
    )
    audit_record(
        actor=actor,
        action="cooperatives.officer.appoint",
        obj=officer,
        changes={"user": user.pk, "position": position, "term_start": str(term_start)},
    )
    return officer


@transaction.atomic
def officer_end(*, actor, officer: Officer) -> Officer:
    """End an officer's term early (or record its end); their role is revoked."""
    require(actor, "cooperatives.officer.manage", officer.cooperative)
    if officer.ended_at is None:
        officer.ended_at = timezone.now()
        if officer.term_end is None or officer.term_end > timezone.localdate():
            officer.term_end = max(timezone.localdate(), officer.term_start)
        officer.save(update_fields=["ended_at", "term_end"])
        if officer.role_assignment is not None:
            role_revoke(actor=None, assignment=officer.role_assignment)
        audit_record(actor=actor, action="cooperatives.officer.end", obj=officer)
    return officer


def member_fields(
    *, cooperative: Cooperative, nik: str, full_name: str, phone: str = "", village=None
) -> dict:
    """Validated member fields (shared by the form, the API and the import)."""
    clean: dict[str, Any] = {
        "nik": v.clean_nik(nik),
        "full_name": (full_name or "").strip(),
        "phone": v.clean_phone(phone or ""),
        "village": village or cooperative.village,
    }
    if not clean["full_name"]:
        raise v.invalid("full_name", _("A member needs a name."))
    if clean["village"].level != 4:
        raise v.invalid("village", _("Choose the member's village."))
    return clean


@transaction.atomic
def member_add(
    *,
    actor,
    cooperative: Cooperative,
    nik: str,
    full_name: str,
    joined_on: dt.date,
    phone: str = "",
    village: Region | None = None,
    user=None,
) -> Member:
    """Register a member of the cooperative."""
    require(actor, "cooperatives.member.manage", cooperative)
    fields = member_fields(
        cooperative=cooperative, nik=nik, full_name=full_name, phone=phone, village=village
    )
    if Member.objects.filter(cooperative=cooperative, nik=fields["nik"]).exists():
        raise Conflict(
            _("A member with this NIK is already registered in this cooperative."),
            code="duplicate_member",
            fields={"nik": [_("Already a member.")]},
        )
    measures = cooperative_measures(cooperative=cooperative)
    member = Member.objects.create(cooperative=cooperative, joined_on=joined_on, user=user, **fields)
    if user is not None:
        # The member's account gets the member role, so they find their own record.
        role_ensure(actor=None, user=user, role=Role.MEMBER, organization=cooperative.organization)
    audit_record(
        actor=actor,
        action="cooperatives.member.add",
        obj=member,
        changes={"nik": member.nik_masked, "full_name": member.full_name},
    )
    announce(cooperative, measures)
    return member


@transaction.atomic
def member_update(*, actor, member: Member, **fields: Any) -> Member:
    """Change a member's name, phone, village or status (active, resigned, deceased)."""
    cooperative = member.cooperative
    require(actor, "cooperatives.member.manage", cooperative)
    allowed = {"full_name", "phone", "village", "status", "status_changed_on", "user"}
    if set(fields) - allowed:
        raise DomainError(
            _("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(set(fields) - allowed))}
        )
    before = {k: str(getattr(member, k)) for k in fields}
    measures = cooperative_measures(cooperative=cooperative)
    if "phone" in fields:
        fields["phone"] = v.clean_phone(fields["phone"] or "")
    if "status" in fields:
        if fields["status"] not in MemberStatus.values:
            raise v.invalid("status", _("Unknown member status."))
        if fields["status"] != member.status:
            fields.setdefault("status_changed_on", timezone.localdate())
    if "full_name" in fields and not (fields["full_name"] or "").strip():
        raise v.invalid("full_name", _("A member needs a name."))
    for key, value in fields.items():
        setattr(member, key, value)
    member.save()
    if fields.get("user") is not None:
        role_ensure(actor=None, user=fields["user"], role=Role.MEMBER, organization=cooperative.organization)
    changes = diff(before, {k: str(getattr(member, k)) for k in fields})
    if changes:
        audit_record(actor=actor, action="cooperatives.member.update", obj=member, changes=changes)
    announce(cooperative, measures)
    return member


def _unit_fields(fields: dict[str, Any]) -> dict[str, Any]:
    clean = dict(fields)
    if "kind" in clean and clean["kind"] not in UnitKind.values:
        raise v.invalid("kind", _("Unknown kind of unit."))
    if "status" in clean and clean["status"] not in UnitStatus.values:
        raise v.invalid("status", _("Unknown unit status."))
    if "latitude" in clean or "longitude" in clean:
        clean["latitude"], clean["longitude"] = v.clean_coordinates(
            clean.get("latitude"), clean.get("longitude")
        )
    if clean.get("status") == UnitStatus.OPERATING and not clean.get("opened_on"):
        clean["opened_on"] = timezone.localdate()
    return clean


@transaction.atomic
def unit_create(*, actor, cooperative: Cooperative, kind: str, **fields: Any) -> BusinessUnit:
    """Add a business unit (one of the seven, an agency, or one from local potential)."""
    require(actor, "cooperatives.unit.manage", cooperative)
    clean = _unit_fields({"kind": kind, **fields})
    measures = cooperative_measures(cooperative=cooperative)
    unit = BusinessUnit.objects.create(cooperative=cooperative, **clean)
    audit_record(
        actor=actor,
        action="cooperatives.unit.create",
        obj=unit,
        changes={k: str(x) for k, x in clean.items()},
    )
    announce(cooperative, measures)
    return unit


@transaction.atomic
def unit_update(*, actor, unit: BusinessUnit, **fields: Any) -> BusinessUnit:
    """Change a unit: its status (planned → … → operating, stopped), location, opening date."""
    cooperative = unit.cooperative
    require(actor, "cooperatives.unit.manage", cooperative)
    if fields.get("status") == UnitStatus.OPERATING and not unit.opened_on:
        fields.setdefault("opened_on", None)
    clean = _unit_fields(fields)
    if fields.get("status") == UnitStatus.OPERATING and unit.opened_on and not fields.get("opened_on"):
        clean.pop("opened_on", None)
    before = {k: str(getattr(unit, k)) for k in clean}
    measures = cooperative_measures(cooperative=cooperative)
    for key, value in clean.items():
        setattr(unit, key, value)
    unit.save()
    changes = diff(before, {k: str(getattr(unit, k)) for k in clean})
    if changes:
        audit_record(actor=actor, action="cooperatives.unit.update", obj=unit, changes=changes)
    announce(cooperative, measures)
    return unit
