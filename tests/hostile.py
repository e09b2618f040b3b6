"""Hostile inputs shared by the fuzz and memory tests: image bombs, crafted PNGs and MIDI files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def image_bomb(path: Path, side: int = 12_000) -> Path:
    """A valid PNG declaring side × side grey pixels, all zero: ~140 kB on disk, 144 MB (×3 as RGB) decoded."""
    row = b"\x00" + b"\x00" * side  # filter byte + one byte per pixel
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b""))
    return Path(path)


def png_with_text(path: Path, key: str, text: str) -> Path:
    """A 4 × 4 PNG carrying one text chunk (e.g. settings nested 100,000 deep, or a 2**64 seed)."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text(key, text)
    Image.new("RGB", (4, 4)).save(path, pnginfo=info)
    return Path(path)


def png_with_oversized_chunk(path: Path, declared: int = 100_000_000) -> Path:
    """An 8 × 8 PNG whose last chunk, an iTXt, declares `declared` bytes and carries a few (PIL fails with an assert)."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    png = buffer.getvalue()
    end = png.rfind(b"IEND") - 4
    Path(path).write_bytes(png[:end] + struct.pack(">I", declared) + b"iTXt" + b"parameters\x00\x00\x00\x00\x00" + b"x" * 1000)
    return Path(path)
