"""Draws the web app's icons (web/public/icons/*.png) with the standard library only.

A white speech bubble with three dots on the app's accent blue. ``icon-*.png`` are
rounded squares (transparent corners); ``maskable-512.png`` fills the square, the
bubble inside the central safe zone (a circle of 40 % of the size) that every
platform's mask keeps. Run ``python web/scripts/icons.py`` and commit the result.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "public" / "icons"
ACCENT = (11, 92, 173)
WHITE = (255, 255, 255)
SAMPLES = 3  # per axis: 9 samples a pixel smooth the edges


def inside_rounded(
    x: float, y: float, x0: float, y0: float, x1: float, y1: float, r: float
) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def inside_triangle(x: float, y: float, a: tuple, b: tuple, c: tuple) -> bool:
    def side(p: tuple, q: tuple) -> float:
        return (x - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (y - q[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def colour_at(x: float, y: float, full_bleed: bool) -> tuple[int, int, int, int] | None:
    """The colour at (x, y) in a 512-unit square, or None outside the icon."""
    if not full_bleed and not inside_rounded(x, y, 0, 0, 512, 512, 104):
        return None
    for dot in (196, 256, 316):
        if (x - dot) ** 2 + (y - 232) ** 2 <= 22**2:
            return (*ACCENT, 255)
    bubble = inside_rounded(x, y, 112, 136, 400, 328, 56) or inside_triangle(
        x, y, (168, 310), (150, 392), (244, 318)
    )
    return (*WHITE, 255) if bubble else (*ACCENT, 255)


def render(size: int, full_bleed: bool) -> bytes:
    rows = bytearray()
    scale = 512 / size
    for py in range(size):
        rows.append(0)  # filter: none
        for px in range(size):
            total = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) * scale
                    y = (py + (sy + 0.5) / SAMPLES) * scale
                    colour = colour_at(x, y, full_bleed)
                    if colour:
                        for i in range(3):
                            total[i] += colour[i] * colour[3]
                        total[3] += colour[3]
            alpha = total[3] / (SAMPLES * SAMPLES)
            if total[3]:
                rows.extend(round(total[i] / total[3]) for i in range(3))
            else:
                rows.extend((0, 0, 0))
            rows.append(round(alpha))
    return png(size, bytes(rows))


def png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, full_bleed in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),  # iOS rounds the corners itself
    ):
        (OUT / name).write_bytes(render(size, full_bleed))
        print(name, (OUT / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
