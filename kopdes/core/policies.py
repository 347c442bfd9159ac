"""The one policy layer: "may this user do this action to this object?"

Each app registers its rules in its own `policies.py` (imported by its AppConfig.ready), and
web views, API handlers and services all ask through `can` / `require`. A refusal raises
`PolicyDenied` (a PermissionDenied, so web views answer 403 and the API its error format) and
is recorded in the audit trail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("kopdes.policy")

Rule = Callable[[Any, Any], bool]
_rules: dict[str, Rule] = {}


class PolicyDenied(PermissionDenied):
    def __init__(self, action: str, message: str | None = None, *, user=None, obj: Any = None):
        self.action = action
        self.message = message or _("You are not allowed to do this.")
        self.user = user
        self.obj = obj
        self.recorded = False
        super().__init__(str(self.message))


def record_denial(exc: PermissionDenied) -> None:
    """Write a refusal to the audit trail, once. Called where no transaction can roll it back."""
    if not isinstance(exc, PolicyDenied) or exc.recorded:
        return
    from .audit import audit_record

    obj = exc.obj
    is_model = hasattr(obj, "_meta")
    audit_record(
        actor=exc.user,
        action="access.denied",
        obj=obj if is_model and obj.pk is not None else None,
        object_type=obj._meta.label_lower if is_model else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        region_code=(getattr(obj, "audit_region_code", "") or "") if obj is not None else "",
        changes={"attempted": exc.action},
    )
    exc.recorded = True


def rule(action: str) -> Callable[[Rule], Rule]:
    """Register the rule that decides `action`. One rule per action."""

    def register(fn: Rule) -> Rule:
        if action in _rules and _rules[action] is not fn:
            raise RuntimeError(f"policy rule {action!r} registered twice")
        _rules[action] = fn
        return fn

    return register


def registered_actions() -> list[str]:
    return sorted(_rules)


def can(user, action: str, obj: Any = None) -> bool:
    try:
        decide = _rules[action]
    except KeyError:
        raise LookupError(f"no policy rule for {action!r}") from None
    if user is None or not getattr(user, "is_active", False):
        user = None
    return bool(decide(user, obj))


def require(user, action: str, obj: Any = None, *, message: str | None = None) -> None:
    """Raise PolicyDenied unless `user` may do `action` to `obj`; the refusal is audited.

    Inside a transaction the record is left to the boundary that catches the exception (the
    403 page, the API error handler), so that the rollback does not take the record with it.
    """
    if can(user, action, obj):
        return
    logger.info("refused %s to user %s", action, getattr(user, "pk", None))
    exc = PolicyDenied(action, message, user=user, obj=obj)
    if not _in_transaction():
        record_denial(exc)
    raise exc


def _in_transaction() -> bool:
    # The test suite wraps each test in atomic blocks of its own (marked _from_testcase);
    # those do not roll back a refusal's record, so they do not count here.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


@rule("core.home.view")
def may_view_public_pages(user, _obj) -> bool:
    # The home page, the storefront-to-be and the benchmark floor are public.
    return True
