"""Who may see the monitoring dashboards.

Decision (issue 6): **a region's dashboard is public**, for everyone, signed in or not, at every
level from the nation down to a village, and so is its API. The figures are sums over regions —
cooperatives, stages, members counted, products, featured products against target, orders and
money paid (GMV) — with no personal data in them; the coverage pages they extend are public
already; governors, regents and ministries steer by them, and citizens, journalists and other
government systems may read the same numbers (transparency about a public programme).

One exception: on a **village's** dashboard the sales figures (orders, GMV paid, units sold,
display-point sales and the sales chart) are not a region's total but one cooperative's own
books. Those are shown to the people who may see that cooperative's records in the registry
(`cooperatives.view`: admins of its region, its officers and members, the village head and
mentors of its area); anyone else sees the village's other figures and a note. Above the village
a sum may still come from a single cooperative (a district with one seller): that is accepted,
as public aggregate statistics accept it.
"""

from __future__ import annotations

from kopdes.core.policies import can, rule


@rule("monitoring.dashboard.view")
def may_view_dashboard(user, _region) -> bool:
    # Sums over regions, no personal data: public (see the module docstring).
    return True


@rule("monitoring.dashboard.cooperative_sales")
def may_view_cooperative_sales(user, cooperative) -> bool:
    """A village dashboard's sales figures: one cooperative's own books (see the module docstring)."""
    return cooperative is not None and can(user, "cooperatives.view", cooperative)


@rule("monitoring.map.view")
def may_view_map(user, _region) -> bool:
    # Cooperatives' offices, outlets and display points: public places, no personal data.
    return True
