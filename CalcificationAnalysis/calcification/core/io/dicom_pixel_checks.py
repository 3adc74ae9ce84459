"""Checks that a DICOM file's pixel data are what its Rows, Columns, Samples per Pixel, Bits Allocated and Number of
Frames say, before decoding: a file whose attributes disagree with its pixels would otherwise decode into a garbage
image (rows re-cut at the wrong width) or crash a decoder.

- Uncompressed: the Pixel Data length must be the product of those attributes (plus one pad byte at most).
- JPEG, JPEG-LS, JPEG 2000, HTJ2K: the codestream's own frame header (SOF / SIZ marker) gives the image's width and
  height, which must be Columns and Rows.
- RLE carries no dimensions; a decoded length that differs is refused by the decoder. Rows and Columns swapped give
  the same length, but RLE encoders start a new run at every row (DICOM PS3.5 G.3.1 recommends it), so when the
  runs all end at multiples of Rows and not of Columns the two are swapped.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from ..errors import InputError

#: Transfer syntaxes whose frames are JPEG (ISO 10918 / 14495) codestreams with an SOF marker.
_JPEG_PREFIXES = ("1.2.840.10008.1.2.4.5", "1.2.840.10008.1.2.4.6", "1.2.840.10008.1.2.4.7", "1.2.840.10008.1.2.4.8")
#: JPEG 2000 and High-Throughput JPEG 2000 (SIZ marker).
_J2K_PREFIXES = ("1.2.840.10008.1.2.4.9", "1.2.840.10008.1.2.4.20")
_RLE = "1.2.840.10008.1.2.5"
#: Rows of the first RLE segment examined for run boundaries (enough to tell, cheap on a 12-megapixel image).
_RLE_ROWS_EXAMINED = 16


def _refuse(path: Path, dataset, found: str) -> None:
    raise InputError(
        f"{path} says Rows x Columns = {dataset.get('Rows')} x {dataset.get('Columns')} but its pixel "
        f"data {found}; the file is damaged (its header does not describe its image)."
    )


def check_pixel_geometry(dataset, path: Path) -> None:
    """Refuse (:class:`InputError`) pixel data that disagree with the attributes describing them (module docstring).

    Raises
    ------
    InputError
        Rows, Columns, Samples per Pixel or Bits Allocated missing or not positive, or pixel data of another size.
    """
    try:
        rows, columns = int(dataset.Rows), int(dataset.Columns)
        samples = int(dataset.get("SamplesPerPixel", 1) or 1)
        bits = int(dataset.BitsAllocated)
    except (AttributeError, TypeError, ValueError) as exc:
        raise InputError(f"{path} lacks valid Rows, Columns or Bits Allocated; it is not a usable image.") from exc
    if min(rows, columns, samples, bits) < 1 or bits > 64:
        raise InputError(f"{path} has Rows {rows}, Columns {columns}, Bits Allocated {bits}; not an image.")
    syntax = str(getattr(dataset.file_meta, "TransferSyntaxUID", "") or "")
    data = dataset.PixelData
    if not dataset["PixelData"].is_undefined_length:
        expected = (rows * columns * samples * bits + 7) // 8
        if not expected <= len(data) <= expected + 1:
            _refuse(path, dataset, f"hold {len(data)} bytes, not the {expected} they need")
        return
    frame = _first_frame(data)
    if frame is None:
        return  # the decoder gives its own message
    if syntax.startswith(_JPEG_PREFIXES):
        size = _jpeg_size(frame)
    elif syntax.startswith(_J2K_PREFIXES):
        size = _j2k_size(frame)
    elif syntax == _RLE:
        size = None
        if _rle_runs_fit(frame, rows, columns, bits) is False:
            _refuse(path, dataset, "are laid out in rows of a different width (Rows and Columns swapped?)")
    else:
        size = None
    if size is not None and size != (rows, columns):
        _refuse(path, dataset, f"are a {size[0]} x {size[1]} image")


def _first_frame(data: bytes) -> Optional[bytes]:
    from .pydicom_versions import encapsulated_frames

    try:
        return next(encapsulated_frames(data, 1))
    except Exception:  # damaged encapsulation: the decoder reports it
        return None


def _jpeg_size(frame: bytes) -> Optional[tuple[int, int]]:
    """(height, width) from the first SOF marker of a JPEG / JPEG-LS codestream, or None when there is none."""
    at = 2 if frame[:2] == b"\xff\xd8" else None
    while at is not None and at + 9 <= len(frame):
        if frame[at] != 0xFF:
            return None
        marker = frame[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) or marker == 0xF7:  # SOFn, JPEG-LS SOF55
            height, width = struct.unpack(">HH", frame[at + 5 : at + 9])
            return (height, width) if height else None  # height 0: given later in a DNL marker
        (length,) = struct.unpack(">H", frame[at + 2 : at + 4])
        at += 2 + length
    return None


def _j2k_size(frame: bytes) -> Optional[tuple[int, int]]:
    """(height, width) from the SIZ marker of a JPEG 2000 codestream (raw or in a JP2 box)."""
    at = frame.find(b"\xff\x4f\xff\x51")
    if at < 0 or at + 24 > len(frame):
        return None
    xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", frame[at + 8 : at + 24])
    return ysiz - yosiz, xsiz - xosiz


def _rle_run_ends(segment: bytes, limit: int) -> set[int]:
    """Offsets (in decoded bytes) where PackBits runs of ``segment`` end, up to ``limit`` decoded bytes."""
    ends, decoded, at = set(), 0, 0
    while decoded < limit and at < len(segment):
        header = segment[at]
        if header < 128:
            decoded, at = decoded + header + 1, at + header + 2
        elif header > 128:
            decoded, at = decoded + 257 - header, at + 2
        else:
            at += 1
            continue
        ends.add(decoded)
    return ends


def _rle_runs_fit(frame: bytes, rows: int, columns: int, bits: int) -> Optional[bool]:
    """False when the first segment's runs end at every multiple of ``rows`` and not of ``columns`` (swapped);
    True when they end at every multiple of ``columns``; None when the encoder does not end runs at rows."""
    if len(frame) < 64 or rows == columns:
        return None
    count, first, *_ = struct.unpack("<16I", frame[:64])
    if count < 1 or not 64 <= first < len(frame):
        return None
    end = struct.unpack("<I", frame[8:12])[0] if count > 1 else len(frame)
    segment = frame[first : end if first < end <= len(frame) else len(frame)]
    examined = min(_RLE_ROWS_EXAMINED, rows, columns)
    ends = _rle_run_ends(segment, examined * max(rows, columns))
    if all(columns * k in ends for k in range(1, examined)):
        return True
    if all(rows * k in ends for k in range(1, examined)):
        return False
    return None


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Send what native decoders write straight to file descriptor 2 (Rust panics, C library messages) to nowhere
    while the block runs; Python's own ``sys.stderr`` is unaffected. A no-op where fd 2 cannot be duplicated."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
