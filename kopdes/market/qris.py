"""An order's QRIS: the cooperative's static code made dynamic for the order's exact amount."""

from __future__ import annotations

from functools import lru_cache

from lokal import set_qris_amount


def order_qris(order) -> str:
    """The payload to show (as a QR image and as text to copy). ValueError if the cooperative's
    static QRIS is not valid."""
    return _dynamic(order.cooperative.qris_payload, order.total)


@lru_cache(maxsize=1024)
def _dynamic(payload: str, amount: int) -> str:
    # The same seller's code for the same amount, again and again in a flash sale: parsed and
    # its checksum computed once (an invalid code raises each time; errors are not kept).
    return set_qris_amount(payload, amount)


def qris_svg(payload: str, *, scale: int = 6) -> str:
    """The QR image as inline SVG (no external asset)."""
    import io

    import segno

    buffer = io.BytesIO()  # segno writes SVG as bytes
    segno.make(payload, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True, border=2)
    return buffer.getvalue().decode()
