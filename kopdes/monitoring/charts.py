"""Charts drawn on the server as inline SVG: no chart library, no script, a few kilobytes.

Each chart has a `viewBox` and `width="100%"`, so it scales to the column it sits in; sizes
are chosen for a 360-px phone (text never below 10 units on a 340-unit-wide chart). Every
chart that carries information has `role="img"` and a title; the page also shows its numbers
in a table. Text in a chart is escaped here (`format_html`), never marked safe as given.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

RED = "#b3001b"
INK = "#1f3a5f"
GRID = "#ddd"
SOFT = "#eee"
MUTED = "#666"

# Indonesian abbreviations everywhere, as numbers are written the Indonesian way everywhere.
_SCALES = ((1_000_000_000_000, "T"), (1_000_000_000, "M"), (1_000_000, "jt"), (1_000, "rb"))


def compact(value: float) -> str:
    """12_500_000 -> '12,5 jt'; 950 -> '950' (Indonesian decimal comma and abbreviations)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    for size, suffix in _SCALES:
        if value >= size:
            text = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return f"{sign}{text.replace('.', ',')} {suffix}"
    if value != int(value):
        return f"{sign}{value:.1f}".replace(".", ",")
    return f"{sign}{int(value)}"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times 10^n at or above `value` (an axis' top); 1 for nothing."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover  (the loop ends at 10)


def _n(value: float) -> str:
    """A coordinate for an SVG attribute: a dot, at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def month_label(month: dt.date) -> str:
    return date_format(month, "M")


def sales_chart(
    points: Sequence[tuple[dt.date, int, int]], *, title: str, money_label: str, count_label: str
) -> SafeString:
    """Bars of money paid (left axis) and a line of orders placed (right axis), one per month."""
    width, height = 340, 200
    left, right, top, bottom = 46, 30, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    money_top = nice_ceiling(max((p[1] for p in points), default=0))
    count_top = nice_ceiling(max((p[2] for p in points), default=0))
    slot = plot_w / max(len(points), 1)
    bar_w = max(slot * 0.6, 2)
    parts: list[str] = [
        format_html(
            '<svg class="chart" role="img" aria-labelledby="{id}" viewBox="0 0 {w} {h}" width="100%" '
            'preserveAspectRatio="xMidYMid meet"><title id="{id}">{title}</title>',
            id="sales-chart-title",
            w=width,
            h=height,
            title=title,
        )
    ]
    for share in (0, 0.5, 1):
        y = top + plot_h * (1 - share)
        parts.append(
            format_html(
                '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="{c}" stroke-width="1"/>'
                '<text x="{lx}" y="{ty}" font-size="10" text-anchor="end" fill="{m}">{money}</text>'
                '<text x="{rx}" y="{ty}" font-size="10" fill="{ink}">{count}</text>',
                x1=left,
                x2=left + plot_w,
                y=_n(y),
                c=GRID,
                lx=left - 4,
                ty=_n(y + 3.5),
                m=MUTED,
                money=compact(money_top * share),
                rx=left + plot_w + 4,
                ink=INK,
                count=compact(count_top * share),
            )
        )
    line: list[str] = []
    every = 1 if len(points) <= 6 else 2
    for i, (month, money, count) in enumerate(points):
        cx = left + slot * (i + 0.5)
        bar_h = plot_h * money / money_top
        parts.append(
            format_html(
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}">'
                "<title>{label}: {v}</title></rect>",
                x=_n(cx - bar_w / 2),
                y=_n(top + plot_h - bar_h),
                w=_n(bar_w),
                h=_n(bar_h),
                c=RED,
                label=month_label(month),
                v=compact(money),
            )
        )
        line.append(f"{_n(cx)},{_n(top + plot_h * (1 - count / count_top))}")
        # The last month is always labelled; the others every `every` months back from it.
        if (len(points) - 1 - i) % every == 0:
            parts.append(
                format_html(
                    '<text x="{x}" y="{y}" font-size="10" text-anchor="middle" fill="{m}">{label}</text>',
                    x=_n(cx),
                    y=height - bottom + 14,
                    m=MUTED,
                    label=month_label(month),
                )
            )
    if line:
        parts.append(
            format_html(
                '<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>',
                pts=" ".join(line),
                c=INK,
            )
        )
        parts.append(
            format_html_join(
                "",
                '<circle cx="{}" cy="{}" r="2.5" fill="' + INK + '"/>',
                (point.split(",") for point in line),
            )
        )
    parts.append(
        format_html(
            '<text x="{x}" y="{y}" font-size="10" fill="{m}">{money}</text>'
            '<text x="{rx}" y="{y}" font-size="10" text-anchor="end" fill="{ink}">{count}</text></svg>',
            x=2,
            y=height - 2,
            m=MUTED,
            money=money_label,
            rx=width - 2,
            ink=INK,
            count=count_label,
        )
    )
    return mark_safe("".join(parts))  # noqa: S308  (every part is built by format_html)


def funnel_chart(steps: Sequence[tuple[str, int]], *, title: str) -> SafeString:
    """One bar per stage, widest first in a funnel, its label above and its count at its end."""
    width, row = 340, 36
    height = row * len(steps) + 4
    peak = max((value for _label, value in steps), default=0) or 1
    parts = [
        format_html(
            '<svg class="chart" role="img" aria-labelledby="{id}" viewBox="0 0 {w} {h}" width="100%">'
            '<title id="{id}">{title}</title>',
            id="funnel-chart-title",
            w=width,
            h=height,
            title=title,
        )
    ]
    bar_max = width - 60
    for i, (label, value) in enumerate(steps):
        y = i * row
        bar = bar_max * value / peak
        parts.append(
            format_html(
                '<text x="0" y="{ty}" font-size="12" fill="#222">{label}</text>'
                '<rect x="0" y="{by}" width="{bw}" height="14" fill="{soft}"/>'
                '<rect x="0" y="{by}" width="{w}" height="14" fill="{c}"/>'
                '<text x="{vx}" y="{vy}" font-size="12" fill="#222">{value}</text>',
                ty=y + 12,
                label=label,
                by=y + 16,
                bw=bar_max,
                soft=SOFT,
                w=_n(bar),
                c=RED,
                vx=bar_max + 6,
                vy=y + 28,
                value=f"{value:,}".replace(",", "."),
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308  (every part is built by format_html)


def sparkline(values: Sequence[float], *, width: int = 80, height: int = 24) -> SafeString:
    """A small line of a figure's last months, decoration beside its number (hidden from readers)."""
    if len(values) < 2:
        return mark_safe("")
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = (width - 4) / (len(values) - 1)
    points = " ".join(
        f"{_n(2 + i * step)},{_n(height - 2 - (height - 4) * (v - low) / span)}" for i, v in enumerate(values)
    )
    return format_html(
        '<svg class="spark" aria-hidden="true" viewBox="0 0 {w} {h}" width="{w}" height="{h}">'
        '<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="1.5"/></svg>',
        w=width,
        h=height,
        pts=points,
        c=RED,
    )


def progress(value: int, target: int, *, width: int = 80) -> SafeString:
    """How far `value` got towards `target`, as a small bar (hidden from readers: the text says it)."""
    share = min(value / target, 1.0) if target else 0.0
    colour = "#2e7d32" if target and value >= target else RED
    return format_html(
        '<svg class="bar" aria-hidden="true" viewBox="0 0 {w} 10" width="{w}" height="10">'
        '<rect width="{w}" height="10" fill="{soft}"/><rect width="{f}" height="10" fill="{c}"/></svg>',
        w=width,
        soft=SOFT,
        f=_n(width * share),
        c=colour,
    )
