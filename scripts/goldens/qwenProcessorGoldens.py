"""Independent expectations for the Qwen2-VL image processor (transformers 4.50 `Qwen2VLImageProcessor`).

Re-implements its steps with PIL and NumPy, as the processor runs them on a PIL image: convert("RGB"),
smart resize to multiples of patch*merge within min/max pixels, PIL BICUBIC resize on uint8, rescale in
float64 then float32, normalize in float32, a single frame repeated to the temporal patch size, and patches
reordered into (t, h/merge, w/merge, merge, merge) blocks, each row flattened as (C, T, P, P).

Run from the repository root with Debian's Python and libjpeg-turbo's tools (`apt-get install python3-numpy
python3-pil libjpeg-turbo-progs`; jpegtran adds restart markers and progressive scans, cjpeg 4:4:0 sampling):
    /usr/bin/python3 scripts/goldens/qwenProcessorGoldens.py
Writes test/fixtures/qwen_vl_processor/: the input images, PIL's decoded RGB of each JPEG and resized RGB
of every image as PNG, pixel values of two images as float32 .npy, and manifest.json (sizes, grid_thw,
and a table of smart-resize results).
"""
import json
import math
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image

CONFIG = "test/fixtures/qwen2_5_vl_tiny/preprocessor_config.json"
OUT = "test/fixtures/qwen_vl_processor"
# Qwen2.5-VL-7B-Instruct's own pixel budget, for the smart-resize table.
QWEN_MIN_PIXELS, QWEN_MAX_PIXELS = 3136, 12845056


def smart_resize(height, width, factor, min_pixels, max_pixels):
    """Sides rounded to multiples of `factor` (Python's round: halves to even), then scaled into the budget."""
    if height < factor or width < factor:
        raise ValueError("smaller than factor")
    if max(height, width) / min(height, width) > 200:
        raise ValueError("aspect ratio over 200")
    h = round(height / factor) * factor
    w = round(width / factor) * factor
    if h * w > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h = math.floor(height / beta / factor) * factor
        w = math.floor(width / beta / factor) * factor
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


def process(image, cfg):
    rgb = image.convert("RGB")
    factor = cfg["patch_size"] * cfg["merge_size"]
    h, w = smart_resize(rgb.height, rgb.width, factor, cfg["min_pixels"], cfg["max_pixels"])
    resized = rgb.resize((w, h), resample=Image.BICUBIC)
    array = np.array(resized)  # (h, w, 3) uint8
    scaled = (array.astype(np.float64) * cfg["rescale_factor"]).astype(np.float32)
    mean = np.array(cfg["image_mean"], dtype=np.float32)
    std = np.array(cfg["image_std"], dtype=np.float32)
    normalized = (scaled - mean) / std
    assert normalized.dtype == np.float32
    frames = np.repeat(normalized.transpose(2, 0, 1)[np.newaxis], cfg["temporal_patch_size"], axis=0)  # (T, C, h, w)
    p, m, t = cfg["patch_size"], cfg["merge_size"], cfg["temporal_patch_size"]
    gh, gw = h // p, w // p
    blocks = frames.reshape(1, t, 3, gh // m, m, p, gw // m, m, p).transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
    return rgb, resized, blocks.reshape(gh * gw, 3 * t * p * p), [1, gh, gw]


def scene(width, height, seed, noise):
    """Gradients, a disc and a bar, plus seeded noise: smooth enough for JPEG, busy enough for resampling."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = 128 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    disc = (x - width * 0.6) ** 2 + (y - height * 0.4) ** 2 < (min(width, height) * 0.25) ** 2
    r[disc], g[disc], b[disc] = 250, 30, 40
    bar = (x > width * 0.1) & (x < width * 0.2)
    r[bar], g[bar], b[bar] = 10, 10, 10
    image = np.stack([r, g, b], axis=-1) + rng.normal(0, noise, (height, width, 3))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def cases():
    """(name, PIL image, file extension, save options, keep pixel values)."""
    rgb = lambda w, h, seed, noise=20: Image.fromarray(scene(w, h, seed, noise), "RGB")
    rgba = Image.fromarray(np.dstack([scene(64, 48, 5, 20), np.linspace(0, 255, 64 * 48).reshape(48, 64).astype(np.uint8)]), "RGBA")
    keyed = rgb(50, 40, 9)
    keyed.info["transparency"] = tuple(int(v) for v in np.array(keyed)[0, 0])
    return [
        ("square_60", rgb(60, 60, 1), "png", {}, False),
        ("wide_90x50", rgb(90, 50, 2), "png", {}, True),
        ("tiny_40x30", rgb(40, 30, 3), "png", {}, False),
        ("large_200x150", rgb(200, 150, 4), "png", {}, True),
        ("tie_70x42", rgb(70, 42, 6), "png", {}, False),
        ("strip_300x40", rgb(300, 40, 7), "png", {}, False),
        ("gray_64", rgb(64, 64, 8).convert("L"), "png", {}, False),
        ("rgba_64x48", rgba, "png", {}, False),
        ("palette_50", rgb(50, 50, 10).convert("P", palette=Image.ADAPTIVE, colors=32), "png", {}, False),
        ("keyed_50x40", keyed, "png", {"transparency": keyed.info["transparency"]}, False),
        ("photo444_80x60", rgb(80, 60, 11, noise=4), "jpg", {"quality": 90, "subsampling": 0}, False),
        ("photo420_80x60", rgb(80, 60, 12, noise=4), "jpg", {"quality": 90, "subsampling": 2}, False),
        ("gray_jpeg_64x56", rgb(64, 56, 13, noise=4).convert("L"), "jpg", {"quality": 90}, False),
        ("photo422_77x45", rgb(77, 45, 14, noise=4), "jpg", {"quality": 85, "subsampling": 1}, False),
        ("progressive420_81x59", rgb(81, 59, 15, noise=4), "jpg", {"quality": 85, "subsampling": 2, "progressive": True}, False),
        ("lowquality420_64x64", rgb(64, 64, 16, noise=30), "jpg", {"quality": 15, "subsampling": 2}, False),
        ("restart420_70x50", rgb(70, 50, 17, noise=4), "jpg", {"tool": ["jpegtran", "-restart", "1"]}, False),
        ("progressive_restart444_60x44", rgb(60, 44, 18, noise=4), "jpg", {"tool": ["jpegtran", "-progressive", "-restart", "2B"], "subsampling": 0}, False),
        ("sample440_66x52", rgb(66, 52, 19, noise=4), "jpg", {"tool": ["cjpeg", "-sample", "1x2", "-quality", "85"]}, False),
    ]


def smart_resize_table(cfg):
    rng = np.random.RandomState(2024)
    factor = cfg["patch_size"] * cfg["merge_size"]
    sizes = [(28, 28), (27, 100), (100, 27), (42, 70), (70, 42), (14 * 3, 14 * 5), (56, 56), (28, 5600), (28, 5601), (3000, 4000), (1080, 1920), (8000, 30)]
    sizes += [(int(rng.randint(28, 400)), int(rng.randint(28, 400))) for _ in range(150)]
    sizes += [(int(rng.randint(28, 6000)), int(rng.randint(28, 6000))) for _ in range(150)]
    # Exact halves, where Python's round goes to even.
    sizes += [(factor * k + factor // 2, factor * j + factor // 2) for k in range(1, 6) for j in range(1, 4)]
    table = []
    for min_pixels, max_pixels in [(cfg["min_pixels"], cfg["max_pixels"]), (QWEN_MIN_PIXELS, QWEN_MAX_PIXELS)]:
        for h, w in sizes:
            try:
                table.append({"height": h, "width": w, "min_pixels": min_pixels, "max_pixels": max_pixels, "resized": list(smart_resize(h, w, factor, min_pixels, max_pixels))})
            except ValueError as error:
                table.append({"height": h, "width": w, "min_pixels": min_pixels, "max_pixels": max_pixels, "error": str(error)})
    return table


def main():
    cfg = json.load(open(CONFIG))
    os.makedirs(OUT, exist_ok=True)
    manifest = {"config": CONFIG, "images": [], "smart_resize": smart_resize_table(cfg)}
    for name, image, ext, options, keep_pixels in cases():
        file = f"{name}.{ext}"
        tool = options.pop("tool", None)
        if tool is None:
            image.save(f"{OUT}/{file}", **options)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                source = f"{tmp}/source.ppm" if tool[0] == "cjpeg" else f"{tmp}/source.jpg"
                image.save(source, **({"quality": 90, **options} if source.endswith(".jpg") else {}))
                with open(f"{OUT}/{file}", "wb") as out:
                    subprocess.run([*tool, source], stdout=out, check=True)
        reopened = Image.open(f"{OUT}/{file}")
        rgb, resized, pixel_values, grid = process(reopened, cfg)
        entry = {"name": name, "file": file, "mode": reopened.mode, "width": rgb.width, "height": rgb.height,
                 "resized_height": resized.height, "resized_width": resized.width, "grid_thw": grid,
                 "resized_rgb": f"{name}.resized.png", "decoded_rgb": None, "pixel_values": None}
        resized.save(f"{OUT}/{entry['resized_rgb']}")
        if ext == "jpg":
            entry["decoded_rgb"] = f"{name}.decoded.png"
            rgb.save(f"{OUT}/{entry['decoded_rgb']}")
        if keep_pixels:
            entry["pixel_values"] = f"{name}.pixel_values.npy"
            np.save(f"{OUT}/{entry['pixel_values']}", pixel_values.astype(np.float32))
        manifest["images"].append(entry)
    with open(f"{OUT}/manifest.json", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
