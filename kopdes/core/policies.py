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
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("kopdes.policy")

Rule = Callable[[Any, Any], bool]
_rules: dict[str, Rule] = {}


class PolicyDenied(PermissionDenied):
    def __init__(self, action: str, message: str | None = None):
        self.action = action
        self.message = message or _("You are not allowed to do this.")
        super().__init__(str(self.message))


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
    """Raise PolicyDenied (recorded in the audit trail) unless `user` may do `action` to `obj`."""
    if can(user, action, obj):
        return
    from .audit import audit_record

    region_code = getattr(obj, "audit_region_code", "") if obj is not None else ""
    audit_record(
        actor=user,
        action="access.denied",
        obj=obj if hasattr(obj, "_meta") else None,
        object_repr="" if hasattr(obj, "_meta") else str(obj or "")[:200],
        region_code=region_code or "",
        changes={"attempted": action},
    )
    logger.info("refused %s to %s", action, getattr(user, "pk", None))
    raise PolicyDenied(action, message)


@rule("core.home.view")
def may_view_public_pages(user, _obj) -> bool:
    # The home page, the storefront-to-be and the benchmark floor are public.
    return True
