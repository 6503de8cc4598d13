"""Reading a SQLite write-ahead log's frames, to tell a crash's torn last transaction (normal,
and dropped by SQLite) from a log damaged after the fact (which SQLite drops just as quietly,
taking committed records with it)."""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["wal_damage"]

_WAL_MAGIC = {0x377F0682: "<", 0x377F0683: ">"}  # checksum byte order: little, big endian
_WAL_HEADER = 32
_FRAME_HEADER = 24


def _wal_checksum(data: bytes, order: str, s0: int, s1: int) -> tuple[int, int]:
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def wal_damage(wal: Path) -> str | None:
    """What is wrong with a write-ahead log's tail, or None if nothing is (or there is none).

    SQLite replays frames up to the first one whose salt or running checksum is wrong and
    silently ignores the rest, which is right after a crash mid-transaction but hides a
    log overwritten by garbage or torn by a power loss. Frames of an older generation (other
    salts, whole frames) are normal leftovers after a checkpoint; anything else after the
    last good frame (a partial frame, a frame of this generation that fails its checksum,
    a header that is not a WAL header) is damage."""
    try:
        data = wal.read_bytes()
    except FileNotFoundError:
        return None
    if not data:
        return None
    if len(data) < _WAL_HEADER:
        return f"{len(data)} bytes, shorter than a WAL header"
    magic, _version, page_size, _seq, salt1, salt2, c0, c1 = struct.unpack(">8I", data[:_WAL_HEADER])
    order = _WAL_MAGIC.get(magic)
    if order is None or page_size < 512 or page_size & (page_size - 1):
        return "the header is not a SQLite WAL header"
    s0, s1 = _wal_checksum(data[:24], order, 0, 0)
    if (s0, s1) != (c0, c1):
        return "the header fails its checksum"
    frame = _FRAME_HEADER + page_size
    offset = _WAL_HEADER
    while offset + frame <= len(data):
        head = data[offset : offset + _FRAME_HEADER]
        f_salt1, f_salt2, f0, f1 = struct.unpack(">4I", head[8:24])
        if (f_salt1, f_salt2) != (salt1, salt2):
            break  # an older generation's frames: left over, not damage
        s0, s1 = _wal_checksum(head[:8], order, s0, s1)
        s0, s1 = _wal_checksum(data[offset + _FRAME_HEADER : offset + frame], order, s0, s1)
        if (s0, s1) != (f0, f1):
            return f"frame {(offset - _WAL_HEADER) // frame} fails its checksum"
        offset += frame
    if (len(data) - _WAL_HEADER) % frame:
        return f"{(len(data) - _WAL_HEADER) % frame} bytes of a partial frame at the end"
    return None
