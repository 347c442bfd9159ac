"""Photos of cooperatives and their business units: checked, shrunk for weak connections, stored."""

from __future__ import annotations

import contextlib
import io
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from kopdes.core.audit import audit_record
from kopdes.core.errors import DomainError
from kopdes.core.policies import require

from .models import BusinessUnit, Cooperative, CooperativePhoto, UnitPhoto

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
# A 5 MB file can still claim billions of pixels (a "decompression bomb"); no phone photo needs more.
MAX_PIXELS = 50_000_000
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _invalid(message: str) -> DomainError:
    return DomainError(message, code="invalid_image", fields={"image": [message]})


def prepare_image(upload) -> tuple[bytes, str]:
    """The upload as a real JPEG/PNG/WebP of at most MAX_SIDE px on its long side, without metadata.

    Returns the encoded bytes and the file extension. Raises DomainError on anything else.
    """
    if upload is None:
        raise _invalid(_("Choose a photo to upload."))
    size = getattr(upload, "size", None)
    if size is None or size > MAX_BYTES:
        raise _invalid(_("The photo is larger than 5 MB."))
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            if kind not in FORMATS:
                raise _invalid(_("Upload a JPEG, PNG or WebP photo."))
            if probe.width * probe.height > MAX_PIXELS:
                raise _invalid(_("The photo has too many pixels."))
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as opened:
            opened.load()
            # Turned upright as the camera meant; saved below without EXIF (no GPS position leaks).
            image: Image.Image = ImageOps.exif_transpose(opened)
            if max(image.size) > MAX_SIDE:
                image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if kind == "JPEG":
                if image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
            elif kind == "PNG":
                image.save(out, "PNG", optimize=True)
            else:
                image.save(out, "WEBP", quality=85)
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _invalid(_("This file is not a photo that can be read.")) from None
    finally:
        with contextlib.suppress(OSError, ValueError):
            upload.seek(0)
    return out.getvalue(), FORMATS[kind]


def _name(extension: str) -> str:
    return f"{uuid.uuid4().hex}.{extension}"


def _caption(caption: str) -> str:
    return (caption or "").strip()[:150]


@transaction.atomic
def unit_photo_add(*, actor, unit: BusinessUnit, image, caption: str = "") -> UnitPhoto:
    """Add a photo of a business unit (shown on its page and the microsite)."""
    require(actor, "cooperatives.unit.manage", unit.cooperative)
    data, extension = prepare_image(image)
    photo = UnitPhoto(unit=unit, caption=_caption(caption))
    _save_photo(photo, data, extension)
    audit_record(
        actor=actor,
        action="cooperatives.unit.photo_add",
        obj=unit,
        changes={"photo": photo.image.name},
    )
    return photo


@transaction.atomic
def unit_photo_remove(*, actor, photo: UnitPhoto) -> None:
    """Remove a unit's photo; the file goes once the removal is committed."""
    unit = photo.unit
    require(actor, "cooperatives.unit.manage", unit.cooperative)
    name = photo.image.name or ""
    storage = photo.image.storage
    photo.delete()
    audit_record(actor=actor, action="cooperatives.unit.photo_remove", obj=unit, changes={"photo": name})
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def cooperative_photo_add(*, actor, cooperative: Cooperative, image, caption: str = "") -> CooperativePhoto:
    """Add a photo of the cooperative (its office, its people) for its page and microsite."""
    require(actor, "cooperatives.update", cooperative)
    data, extension = prepare_image(image)
    photo = CooperativePhoto(cooperative=cooperative, caption=_caption(caption))
    _save_photo(photo, data, extension)
    audit_record(
        actor=actor,
        action="cooperatives.photo_add",
        obj=cooperative,
        changes={"photo": photo.image.name},
    )
    return photo


@transaction.atomic
def cooperative_photo_remove(*, actor, photo: CooperativePhoto) -> None:
    """Remove a cooperative's photo; the file goes once the removal is committed."""
    cooperative = photo.cooperative
    require(actor, "cooperatives.update", cooperative)
    name = photo.image.name or ""
    storage = photo.image.storage
    photo.delete()
    audit_record(actor=actor, action="cooperatives.photo_remove", obj=cooperative, changes={"photo": name})
    transaction.on_commit(lambda: storage.delete(name))


def _content(data: bytes) -> ContentFile:
    return ContentFile(data)


def _save_photo(photo, data: bytes, extension: str) -> None:
    """Store the file, then the row; if the row fails, the file does not stay behind as an orphan."""
    photo.image.save(_name(extension), _content(data), save=False)
    try:
        photo.save()
    except Exception:
        photo.image.storage.delete(photo.image.name)
        raise
