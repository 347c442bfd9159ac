"""An order's QRIS: the cooperative's static code made dynamic for the order's exact amount."""

from __future__ import annotations

from functools import lru_cache

from lokal import parse_qris, qris_crc, set_qris_amount


def order_qris(order) -> str:
    """The payload to show (as a QR image and as text to copy). ValueError if the cooperative's
    static QRIS is not valid."""
    return _dynamic(order.cooperative.qris_payload, order.total)


def _dynamic(payload: str, amount: int) -> str:
    """`set_qris_amount(payload, amount)` for a whole number of rupiah. The library parses and
    checks the seller's code on every call (0.15 ms), and a sale spread over many listings asks
    for a new amount each time: the code is made dynamic by the library once per seller's code
    (`_around_amount`), and each amount only goes into it with its checksum."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount < 10**13:
        return set_qris_amount(payload, amount)  # the library's own answer or error
    before, after = _around_amount(payload)
    body = f"{before}54{len(str(amount)):02d}{amount}{after}"
    return body + qris_crc(body)


@lru_cache(maxsize=1024)
def _around_amount(payload: str) -> tuple[str, str]:
    """The library's dynamic code for `payload` without its amount (tag 54) and its checksum: what
    comes before the amount, and after it up to the checksum's value (ending in "6304"). An
    invalid code raises each time (errors are not kept)."""
    sample = set_qris_amount(payload, 1)
    start = 0
    for field in parse_qris(sample).fields:  # the top-level fields, in order
        end = start + 4 + len(field.value)
        if field.tag == "54":
            return sample[:start], sample[end:-4]
        start = end
    raise ValueError("QRIS: no amount field")  # the library always writes one


def qris_svg(payload: str, *, scale: int = 6) -> str:
    """The QR image as inline SVG (no external asset)."""
    import io

    import segno

    buffer = io.BytesIO()  # segno writes SVG as bytes
    segno.make(payload, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True, border=2)
    return buffer.getvalue().decode()
