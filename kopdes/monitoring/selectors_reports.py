"""Reads of the monthly reports: the ones a person may see, one report, the latest of a month."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from kopdes.accounts.scopes import region_q
from kopdes.core.errors import NotFound
from kopdes.core.policies import require
from kopdes.regions.models import Region

from .models import ReportJob

LIST = "monitoring.report.list"
REQUEST = "monitoring.report.request"
VIEW = "monitoring.report.view"
RECENT_SHOWN = 20


def region_names(codes: set[str]) -> dict[str, str]:
    """Names of regions by code, "" being Indonesia (one query)."""
    names = dict(Region.objects.filter(code__in=codes - {""}).values_list("code", "name"))
    names[""] = "Indonesia"
    return names


def report_list(*, user, limit: int = RECENT_SHOWN) -> list[ReportJob]:
    """The latest reports of the regions the user administers, newest first, each with its
    `region_name` (two queries)."""
    require(user, LIST)
    jobs = list(ReportJob.objects.filter(region_q(user, "region_code"))[:limit])
    names = region_names({job.region_code for job in jobs})
    for job in jobs:
        job.region_name = names.get(job.region_code, job.region_code)  # type: ignore[attr-defined]
    return jobs


def report_get(*, user, pk: int) -> ReportJob:
    """One report, for the admins of its region and above."""
    job = ReportJob.objects.filter(pk=pk).first()
    if job is None:
        raise NotFound(_("This report does not exist."), code="unknown_report")
    require(user, VIEW, job)
    return job


def report_latest(*, user, region: Region | None, month: dt.date) -> ReportJob | None:
    """The latest report of a region ("None": the nation) and month, or None; for those who may ask for it."""
    require(user, REQUEST, region)
    return ReportJob.objects.filter(region_code=region.code if region else "", month=month).first()
