"""PIL's convert("RGB") of PNGs in every colour type and bit depth, and of CMYK/YCCK JPEGs.

The PNGs are written by a small encoder here (PIL cannot write 2-bit grey with every filter, Adam7
interlacing or palette indices past the PLTE), each row with a different filter type; the JPEGs by
PIL/libjpeg. PIL then opens each file, and its `Image.open(f).convert("RGB")` bytes are the golden.
Also records what PIL says about truncated and oversized files.

Run from the repository root with Debian's Python (`apt-get install python3-pil`):
    /usr/bin/python3 scripts/goldens/hostileImageGoldens.py
Writes test/fixtures/images/: the input files and manifest.json (mode PIL opened, size, RGB bytes as
base64).
"""
import base64
import io
import json
import os
import random
import struct
import zlib

import PIL
from PIL import Image

OUT = "test/fixtures/images"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_row(samples, depth):
    """Samples of one row to bytes: packed from the high bit below 8 bits, big-endian at 16."""
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filter_rows(rows, bpp):
    """Each row filtered with type (row index mod 5), so every filter is exercised."""
    out, prev = bytearray(), bytes(len(rows[0])) if rows else b""
    for r, row in enumerate(rows):
        kind = r % 5
        out.append(kind)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            out.append((x - pred) & 255)
        prev = row
    return bytes(out)


def encode_png(width, height, depth, color, pixels, interlace=False, palette=None, trns=None):
    """`pixels[y][x]` is a tuple of samples. Returns the PNG bytes."""
    channels = CHANNELS[color]
    bpp = max(1, channels * depth // 8)
    passes = [(x0, y0, dx, dy) for x0, y0, dx, dy in ADAM7] if interlace else [(0, 0, 1, 1)]
    raw = b""
    for x0, y0, dx, dy in passes:
        rows = []
        for y in range(y0, height, dy):
            samples = [s for x in range(x0, width, dx) for s in pixels[y][x]]
            if samples:
                rows.append(pack_row(samples, depth))
        if rows:
            raw += filter_rows(rows, bpp)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, int(interlace)))
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def png_cases(rng):
    def image(width, height, channels, top):
        return [[tuple(rng.randrange(top + 1) for _ in range(channels)) for _ in range(width)] for _ in range(height)]

    cases = []
    for depth in (1, 2, 4, 8, 16):
        cases.append((f"grey{depth}", 13, 9, depth, 0, image(13, 9, 1, (1 << depth) - 1), {}))
    # 16-bit grey mostly at or under 255, where PIL's clip shows.
    cases.append(("grey16_low", 11, 7, 16, 0, [[(rng.choice([rng.randrange(256), rng.randrange(65536)]),) for _ in range(11)] for _ in range(7)], {}))
    cases.append(("grey8_trns", 9, 6, 8, 0, [[(v,) for v in row] for row in [[rng.choice([7, rng.randrange(256)]) for _ in range(9)] for _ in range(6)]], {"trns": struct.pack(">H", 7)}))
    cases.append(("rgb8", 13, 9, 8, 2, image(13, 9, 3, 255), {}))
    cases.append(("rgb16", 13, 9, 16, 2, image(13, 9, 3, 65535), {}))
    cases.append(("rgb8_trns", 9, 6, 8, 2, image(9, 6, 3, 255), {"trns": struct.pack(">HHH", 1, 2, 3)}))
    cases.append(("la8", 13, 9, 8, 4, image(13, 9, 2, 255), {}))
    cases.append(("la16", 13, 9, 16, 4, image(13, 9, 2, 65535), {}))
    cases.append(("rgba8", 13, 9, 8, 6, image(13, 9, 4, 255), {}))
    cases.append(("rgba16", 13, 9, 16, 6, image(13, 9, 4, 65535), {}))
    for depth in (1, 2, 4, 8):
        entries = min(1 << depth, 20)
        palette = [rng.randrange(256) for _ in range(3 * entries)]
        cases.append((f"palette{depth}", 13, 9, depth, 3, image(13, 9, 1, entries - 1), {"palette": palette}))
    palette = [rng.randrange(256) for _ in range(3 * 16)]
    cases.append(("palette8_trns", 13, 9, 8, 3, image(13, 9, 1, 15), {"palette": palette, "trns": bytes(rng.randrange(256) for _ in range(10))}))
    # Indices 10..255 are past the 10 PLTE entries.
    cases.append(("palette8_short", 13, 9, 8, 3, image(13, 9, 1, 255), {"palette": [rng.randrange(256) for _ in range(30)]}))
    for name, width, height, depth, color, pixels, extra in list(cases):
        if name in ("grey2", "rgb8", "palette4", "rgba16", "grey16"):
            cases.append((name + "_adam7", width, height, depth, color, pixels, {**extra, "interlace": True}))
    for width, height in ((1, 1), (3, 2), (2, 9)):
        cases.append((f"rgb8_adam7_{width}x{height}", width, height, 8, 2, image(width, height, 3, 255), {"interlace": True}))
    return [(name, encode_png(width, height, depth, color, pixels, **extra)) for name, width, height, depth, color, pixels, extra in cases]


def jpeg_cases(rng):
    width, height = 32, 24
    cmyk = Image.frombytes("CMYK", (width, height), bytes(rng.randrange(256) for _ in range(width * height * 4)))
    buffer = io.BytesIO()
    cmyk.save(buffer, "JPEG", quality=90)
    adobe_cmyk = buffer.getvalue()
    app14 = adobe_cmyk.find(b"\xff\xeeAdobe"[:2] + b"\x00\x0eAdobe")
    assert app14 > 0, "PIL wrote no Adobe marker"
    # Transform byte 2: the same planes read as YCCK.
    ycck = bytearray(adobe_cmyk)
    ycck[app14 + 4 + 11] = 2
    # Without the Adobe marker libjpeg assumes plain CMYK (PIL still inverts).
    plain = adobe_cmyk[:app14] + adobe_cmyk[app14 + 2 + 14:]
    rgb = Image.frombytes("RGB", (width, height), bytes(rng.randrange(256) for _ in range(width * height * 3)))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    rotated = io.BytesIO()
    rgb.save(rotated, "JPEG", quality=90, exif=exif.tobytes())
    return [("cmyk_adobe", adobe_cmyk), ("ycck_adobe", bytes(ycck)), ("cmyk_no_adobe", plain), ("exif_orientation6", rotated.getvalue())]


def pil_outcome(data):
    try:
        with Image.open(io.BytesIO(data)) as im:
            mode = im.mode
            return mode, im.convert("RGB")
    except Exception as error:  # what PIL says, for the manifest
        return None, f"{type(error).__name__}: {error}"


def main():
    rng = random.Random(20240611)
    os.makedirs(OUT, exist_ok=True)
    manifest = {"pillow": PIL.__version__, "images": [], "refused": []}
    for name, data in png_cases(rng) + jpeg_cases(rng):
        extension = "png" if data[:4] == b"\x89PNG" else "jpg"
        file = f"{name}.{extension}"
        with open(f"{OUT}/{file}", "wb") as f:
            f.write(data)
        mode, rgb = pil_outcome(data)
        assert mode is not None, (name, rgb)
        manifest["images"].append({"file": file, "mode": mode, "width": rgb.width, "height": rgb.height, "rgb": base64.b64encode(rgb.tobytes()).decode()})
    # What PIL says when data is cut short or the declared size is a bomb (not stored as files).
    rgb8 = dict(png_cases(random.Random(1)))["rgb8"]
    cmyk = dict(jpeg_cases(random.Random(1)))["cmyk_adobe"]
    bomb = bytearray(rgb8)
    bomb[16:24] = struct.pack(">II", 20000, 20000)
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])))
    for label, data in (("png cut in its image data", rgb8[: len(rgb8) - 30]), ("jpeg cut in its scan", cmyk[: len(cmyk) // 2]), ("png declaring 20000x20000", bytes(bomb))):
        manifest["refused"].append({"case": label, "pil": pil_outcome(data)[1] if pil_outcome(data)[0] is None else "decoded"})
    with open(f"{OUT}/manifest.json", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
