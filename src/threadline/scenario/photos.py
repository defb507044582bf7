"""Small plain-coloured JPEG photos with the EXIF a handset camera writes: time, offset, GPS, make.

The demo's phone downloads carry a few photos so that media ingest (hashes, content type, EXIF
time and place, requirement 22) has something to find. Each is a flat colour and nothing else:
no picture of anyone or anything. A copy sent through WhatsApp is re-encoded without EXIF, as
the app does, so the same scene can appear with and without its metadata on two handsets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

from PIL import Image
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational

__all__ = ["make_jpeg"]


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees, minutes and seconds (to a hundredth) as EXIF rationals."""
    value = abs(value)
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    hundredths = round((minutes_full - minutes) * 60 * 100)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(hundredths, 100)


def make_jpeg(
    colour: tuple[int, int, int],
    *,
    size: tuple[int, int] = (64, 48),
    taken_utc: datetime | None = None,
    offset_seconds: int = 0,
    position: tuple[float, float] | None = None,
    camera: tuple[str, str] | None = None,
) -> bytes:
    """Return a JPEG of one flat colour, with EXIF when ``taken_utc`` is given.

    The EXIF original time is the handset's wall clock (UTC plus ``offset_seconds``) with
    ``OffsetTimeOriginal`` saying the offset, as current Android cameras write it; ``position``
    is (latitude, longitude) in WGS84 degrees; ``camera`` is (make, model).
    """
    image = Image.new("RGB", size, colour)
    out = BytesIO()
    if taken_utc is None:
        image.save(out, "JPEG", quality=80)
        return out.getvalue()
    exif = Image.Exif()
    local = taken_utc.astimezone(UTC) + timedelta(seconds=offset_seconds)
    written = local.strftime("%Y:%m:%d %H:%M:%S")
    sign = "+" if offset_seconds >= 0 else "-"
    hours, rest = divmod(abs(offset_seconds), 3600)
    if camera is not None:
        exif[Base.Make], exif[Base.Model] = camera
    exif[Base.DateTime] = written
    sub = exif.get_ifd(IFD.Exif)
    sub[Base.DateTimeOriginal] = written
    sub[Base.OffsetTimeOriginal] = f"{sign}{hours:02d}:{rest // 60:02d}"
    if position is not None:
        latitude, longitude = position
        gps = exif.get_ifd(IFD.GPSInfo)
        gps[GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
        gps[GPS.GPSLatitude] = _dms(latitude)
        gps[GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
        gps[GPS.GPSLongitude] = _dms(longitude)
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()
