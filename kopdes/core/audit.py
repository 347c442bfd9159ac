"""The audit trail's only writer. Services call `audit_record` for every change they make."""

from __future__ import annotations

from typing import Any

from django.db import models

from . import rows
from .masking import mask_sensitive
from .models import AuditEvent
from .request_context import current_origin


def _label(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return str(actor)[:150]


def audit_record(**fields: Any) -> AuditEvent:
    """Append one event to the audit trail (`audit_event`'s arguments), with the origin of the
    current request or command."""
    event = audit_event(**fields)
    rows.insert([event])  # written by hand: every change of every service records one
    return event


def audit_event(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    region_code: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """An event of the audit trail, unsaved: `audit_record` writes it, or a caller writes it
    with its other rows (`kopdes.core.rows.insert_together`)."""
    origin = current_origin()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
        region_code = region_code or (getattr(obj, "audit_region_code", "") or "")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        actor=actor if authenticated else None,
        actor_label=_label(actor),
        ip=origin.ip,
        channel=origin.channel,
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        object_repr=mask_sensitive(object_repr)[:200],
        region_code=region_code,
        changes=mask_sensitive(changes or {}),
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields that changed, as {field: [old, new]}."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
