"""Who may have a region's monthly report made and download it.

The dashboards are public (see policies.py), but a report is work done for the people who steer
a region: making one costs a worker a few seconds of PDF layout, and on a village it carries a
cooperative's own sales. So reports are for the **admins of the region and of every region above
it**: a regency admin for their regency and everything in it, a province admin for their
province, the national admin (the ministry) for any region and for the nation. Everyone else —
signed out, buyers, officers, mentors, admins of another region — is refused.
"""

from __future__ import annotations

from kopdes.accounts.scopes import admin_prefixes, administers
from kopdes.core.policies import rule


def _admin_of(user, code: str) -> bool:
    # "" is the nation: only a national admin administers it (see accounts.scopes.administers).
    return user is not None and getattr(user, "is_authenticated", False) and administers(user, code)


@rule("monitoring.report.request")
def may_request_report(user, region) -> bool:
    """`region` is a Region, or None for the nation."""
    return _admin_of(user, region.code if region is not None else "")


@rule("monitoring.report.view")
def may_view_report(user, job) -> bool:
    """A report's progress and files: whoever may have it made now (not only the one who asked)."""
    return job is not None and _admin_of(user, job.region_code)


@rule("monitoring.report.list")
def may_list_reports(user, _obj) -> bool:
    """The reports page: admins of any region (each sees the reports of the regions they administer)."""
    return user is not None and getattr(user, "is_authenticated", False) and bool(admin_prefixes(user))
