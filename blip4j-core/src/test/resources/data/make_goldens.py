"""Regenerates transform_goldens.json (run once with Debian's python3-pil, python3-numpy and python3-opencv 4.6;
the Java tests only read the JSON). The synthetic image is a formula both sides compute (DataTestSupport.pattern).
The op functions restate the semantics of BLIP's transform/randaugment.py on top of numpy and cv2."""
import json

import cv2
import numpy as np
from PIL import Image


def pattern(w, h):
    a = np.zeros((h, w, 3), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            a[y, x] = ((x * 7 + y * 3) % 256, (x * x + y * 5 + 40) % 256, (x * y * 11 + 13) % 256)
    return a


def crop_resize(arr, left, top, w, h, size):
    # torchvision F.resized_crop on a PIL image = crop, then resize((size, size), BICUBIC)
    img = Image.fromarray(arr).crop((left, top, left + w, top + h))
    return np.asarray(img.resize((size, size), Image.BICUBIC))


def hist_f32(ch):
    return cv2.calcHist([ch], [0], None, [256], [0, 256])  # float32 (256, 1)


def autocontrast_ref(img):  # randaugment.py autocontrast_func, cutoff=0 (numpy uint8 scalars, as the reference)
    out = []
    for ch in cv2.split(img):
        high, low = ch.max(), ch.min()
        if high <= low:
            table = np.arange(256)
        else:
            scale = 255 / (high - low)
            offset = -low * scale
            table = np.arange(256) * scale + offset
            table[table < 0] = 0
            table[table > 255] = 255
        out.append(table.clip(0, 255).astype(np.uint8)[ch])
    return cv2.merge(out)


def equalize_ref(img):  # randaugment.py equalize_func
    out = []
    for ch in cv2.split(img):
        hist = hist_f32(ch)
        nz = hist[hist != 0].reshape(-1)
        step = np.sum(nz[:-1]) // 255
        if step == 0:
            out.append(ch)
            continue
        n = np.empty_like(hist)
        n[0] = step // 2
        n[1:] = hist[:-1]
        table = (np.cumsum(n) // step).clip(0, 255).astype(np.uint8)
        out.append(table[ch])
    return cv2.merge(out)


FILL = (128, 128, 128)


def warp(img, m):
    h, w = img.shape[0], img.shape[1]
    return cv2.warpAffine(img, m, (w, h), borderValue=FILL, flags=cv2.INTER_LINEAR).astype(np.uint8)


def shear_x(img, f):
    return warp(img, np.float32([[1, f, 0], [0, 1, 0]]))


def shear_y(img, f):
    return warp(img, np.float32([[1, 0, 0], [f, 1, 0]]))


def translate_x(img, off):
    return warp(img, np.float32([[1, 0, -off], [0, 1, 0]]))


def translate_y(img, off):
    return warp(img, np.float32([[1, 0, 0], [0, 1, -off]]))


def rotate(img, deg):
    h, w = img.shape[0], img.shape[1]
    return cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1), (w, h), borderValue=FILL)


def brightness(img, factor):
    table = (np.arange(256, dtype=np.float32) * factor).clip(0, 255).astype(np.uint8)
    return table[img]


def sharpness(img, factor):
    kernel = np.ones((3, 3), dtype=np.float32)
    kernel[1][1] = 5
    kernel /= 13
    degenerate = cv2.filter2D(img, -1, kernel)
    if factor == 1.0:
        return img
    out = img.astype(np.float32)
    degenerate = degenerate.astype(np.float32)[1:-1, 1:-1, :]
    out[1:-1, 1:-1, :] = degenerate + factor * (out[1:-1, 1:-1, :] - degenerate)
    return out.astype(np.uint8)


def hexs(a):
    return bytes(np.ascontiguousarray(a).ravel()).hex()


np.seterr(over="ignore")
base = pattern(37, 29)
g = {"pattern": {"width": 37, "height": 29, "rgb": hexs(base)}, "resized_crop": [], "ops": []}
for (left, top, w, h, size) in [(5, 3, 23, 19, 16), (2, 2, 9, 7, 16), (0, 0, 37, 29, 24), (10, 4, 20, 20, 20)]:
    g["resized_crop"].append({"left": left, "top": top, "width": w, "height": h, "size": size,
                              "rgb": hexs(crop_resize(base, left, top, w, h, size))})
rng = np.random.RandomState(7)
cases = {
    "dark": rng.randint(0, 90, size=(11, 13, 3)).astype(np.uint8),
    "bright": rng.randint(120, 250, size=(11, 13, 3)).astype(np.uint8),
    "mixed": np.concatenate([rng.randint(0, 256, size=(11, 13, 1)), rng.randint(3, 200, size=(11, 13, 1)),
                             np.full((11, 13, 1), 77)], axis=2).astype(np.uint8),
    "pattern": base,
}
for name, img in cases.items():
    g["ops"].append({"name": name, "width": img.shape[1], "height": img.shape[0], "rgb": hexs(img),
                     "autocontrast": hexs(autocontrast_ref(img)), "equalize": hexs(equalize_ref(img))})
g["warps"] = []
for name, img in [("pattern", base), ("mixed", cases["mixed"])]:
    for op, fn, args in [("shear_x", shear_x, [0.15, -0.15, 0.3]), ("shear_y", shear_y, [0.15, -0.15]),
                         ("translate_x", translate_x, [5.0, -5.0, 2.5]), ("translate_y", translate_y, [5.0, -5.0]),
                         ("rotate", rotate, [15.0, -15.0, 7.0]), ("brightness", brightness, [0.28, 1.72]),
                         ("sharpness", sharpness, [0.28, 1.72])]:
        for a in args:
            g["warps"].append({"image": name, "op": op, "arg": a, "rgb": hexs(fn(img, a))})
with open("transform_goldens.json", "w") as f:
    json.dump(g, f, indent=1)
