"""Settings carried inside every PNG, and read back from a dropped one.

The settings are one image's ImageRequest (`asdict`, less num_images), in two text chunks:
`generative-studio` (JSON, exact) and `parameters` (AUTOMATIC1111's text layout, so A1111 and other
tools show the settings too: its sampler names, its quoting). Reading accepts either, and keeps only
fields of the right type, range and choice, under ImageRequest's names (a dropped PNG is untrusted input).
`settings_to_restore` adds the start (strength) the PNG's model drew from where the PNG does not say it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

from pipelines.common.images import open_upload
from pipelines.common.validation import UserInputError
from pipelines.text_to_image.limits import EMBEDDED, EMOJI_LIMITS
from pipelines.text_to_image.request import MIN_STRENGTH, STYLE_AUTO, ImageRequest
from pipelines.text_to_image.schedulers import SCHEDULER_CHOICES
from pipelines.common.emoji_diffusion.styles import STYLES

JSON_KEY = "generative-studio"
A1111_KEY = "parameters"
# A PNG holds one image's request, and for an image-to-image result the source picture's hash and the mode.
REQUEST_FIELDS = tuple(f.name for f in fields(ImageRequest) if f.name != "num_images")
FIELDS = REQUEST_FIELDS + ("source_sha256", "mode")
MAX_TEXT = 2000  # characters kept from a text field
INT_RANGE = {"steps": (1, 1000), "width": (8, 8192), "height": (8, 8192), "seed": (0, 2**32 - 1)}
FLOAT_RANGE = {"guidance": (0.0, 100.0), "strength": (MIN_STRENGTH, 1.0)}
CHOICES = {"scheduler": SCHEDULER_CHOICES, "style": (STYLE_AUTO,) + STYLES,  # the page's dropdowns hold no other value
           "mode": ("text_to_image", "image_to_image")}
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# This app's scheduler names ↔ A1111's sampler names ("default", the model's own, is written as no sampler).
A1111_SAMPLERS = {"ddim": "DDIM", "euler": "Euler", "dpm++": "DPM++ 2M", "pndm": "PNDM"}
FROM_A1111 = {v.lower(): k for k, v in A1111_SAMPLERS.items()} | {"plms": "pndm", "dpm++ 2m karras": "dpm++"}
A1111_FLOATS = {"cfg scale": "guidance", "denoising strength": "strength"}  # A1111's key → this app's field
# A1111's own parameter pattern: `key: value` or `key: "json string"`, comma-separated.
_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


def _a1111_quote(value: Any) -> str:
    """A1111's quoting: a value with a comma, colon, quote or newline is written as a JSON string."""
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in ',:"\n') else text


def a1111_text(settings: dict[str, Any]) -> str:
    lines = [settings.get("prompt", "")]
    if settings.get("negative_prompt"):
        lines.append(f"Negative prompt: {settings['negative_prompt']}")
    params = [("Steps", settings.get("steps"))]
    if settings.get("scheduler") in A1111_SAMPLERS:
        params.append(("Sampler", A1111_SAMPLERS[settings["scheduler"]]))
    params += [("CFG scale", settings.get("guidance")), ("Seed", settings.get("seed")),
               ("Size", f"{settings.get('width')}x{settings.get('height')}"), ("Model", settings.get("model"))]
    if settings.get("style"):  # the emoji model's style (A1111 shows unknown keys as they are)
        params.append(("Style", settings["style"]))
    if settings.get("strength") is not None:  # the emoji model's start, as A1111 writes an img2img's
        params.append(("Denoising strength", settings["strength"]))
    if settings.get("source_sha256"):  # image to image: which picture it started from
        params.append(("Source hash", settings["source_sha256"]))
    lines.append(", ".join(f"{k}: {_a1111_quote(v)}" for k, v in params))
    return "\n".join(lines)


def save_png(image: Image.Image, settings: dict[str, Any], path: Path) -> Path:
    info = PngImagePlugin.PngInfo()
    stored = {k: settings.get(k) for k in FIELDS if k in REQUEST_FIELDS or settings.get(k) is not None}
    info.add_itxt(JSON_KEY, json.dumps(stored, ensure_ascii=False))
    info.add_itxt(A1111_KEY, a1111_text(settings))
    image.save(path, format="PNG", pnginfo=info)
    return Path(path)


def _parse_a1111(text: str) -> dict[str, Any]:
    """As A1111's parse_generation_parameters: the last line holds the parameters; the lines before
    are the prompt, then, from a line starting "Negative prompt:", the negative prompt (both may span
    lines, and a prompt line may itself start with "Steps:")."""
    lines = text.strip().split("\n")
    found = _PARAM.findall(lines[-1]) if lines else []
    params = found if len(found) >= 3 else []
    body = lines[:-1] if params else lines
    neg = next((i for i, line in enumerate(body) if line.startswith("Negative prompt:")), len(body))
    settings: dict[str, Any] = {"prompt": "\n".join(body[:neg]).strip()}
    if neg < len(body):
        settings["negative_prompt"] = "\n".join([body[neg][len("Negative prompt:"):]] + body[neg + 1:]).strip()
    for key, value in params:
        key = key.strip().lower()
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        value = value.strip()
        if key == "size" and re.fullmatch(r"[0-9]+x[0-9]+", value):
            settings["width"], settings["height"] = (int(v) for v in value.split("x"))
        elif key in ("steps", "seed") and re.fullmatch(r"[0-9]+", value):
            settings[key] = int(value)
        elif key in A1111_FLOATS and re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
            settings[A1111_FLOATS[key]] = float(value)
        elif key in ("model", "style"):
            settings[key] = value
        elif key == "sampler" and value.lower() in FROM_A1111:
            settings["scheduler"] = FROM_A1111[value.lower()]
    return settings


def _clean(settings: dict[str, Any]) -> dict[str, Any]:
    """Only the fields this app uses, each of its type, range and choices; anything else is dropped."""
    out: dict[str, Any] = {}
    for key in FIELDS:
        value = settings.get(key)
        if key in INT_RANGE:
            low, high = INT_RANGE[key]
            if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                out[key] = value
        elif key in FLOAT_RANGE:
            low, high = FLOAT_RANGE[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and low <= value <= high:
                out[key] = float(value)
        elif key in CHOICES:
            if value in CHOICES[key]:
                out[key] = value
        elif key == "source_sha256":
            if isinstance(value, str) and SHA256.match(value):
                out[key] = value
        elif isinstance(value, str) and len(value) <= MAX_TEXT and not any("\ud800" <= c <= "\udfff" for c in value):
            out[key] = value
    return out


def read_settings(image: Image.Image | str | Path) -> dict[str, Any]:
    """The settings stored in a PNG; raises UserInputError when it carries none."""
    if not isinstance(image, Image.Image):
        # Header only: a huge image's text chunks after the pixels are not worth decoding it for.
        try:
            image = open_upload(image, formats=("PNG",), load=False)
        except UserInputError as exc:
            if exc.key == "image.large":  # say so: "not a PNG" would be wrong
                raise
            raise UserInputError("png.unreadable", "this file is not a PNG this app can read",
                                 "이 앱이 읽을 수 있는 PNG 파일이 아닙니다.") from None
        try:
            image.load()  # text chunks may follow the pixels
        except Exception:
            pass  # a truncated file: use the chunks read so far
    try:  # PIL's `text` loads the file again; a crafted chunk (an iTXt declaring 100 MB) fails there, as an assert
        text = dict(image.text or {}) if image.format == "PNG" else {}
    except Exception:
        text = {}
    text = {**image.info, **text}
    if isinstance(text.get(JSON_KEY), str):
        try:
            stored = json.loads(text[JSON_KEY])
        except (ValueError, RecursionError):  # crafted: invalid, or nested too deep to parse
            stored = None
        if isinstance(stored, dict):
            return _clean(stored)
    if isinstance(text.get(A1111_KEY), str):
        return _clean(_parse_a1111(text[A1111_KEY]))
    raise UserInputError("png.no_settings", "this image carries no generation settings "
                         "(only PNGs saved by this app or AUTOMATIC1111 do)",
                         "이 그림에는 생성 설정이 없습니다(이 앱이나 AUTOMATIC1111이 저장한 PNG에만 있습니다).")


def settings_to_restore(image: Image.Image | str | Path) -> dict[str, Any]:
    """The settings a dropped PNG puts back into the tab's controls: `read_settings`'s, with the start its model
    drew from. Stable Diffusion starts from pure noise (strength 1: an A1111 "Denoising strength" is its
    img2img's or hires fix's, not a start this app's SD takes); an emoji PNG made before the start was recorded
    was drawn at the model's default. Raises UserInputError when the PNG carries no settings."""
    settings = read_settings(image)
    if settings.get("model", EMBEDDED) != EMBEDDED:
        settings["strength"] = 1.0
    elif "model" in settings:
        settings.setdefault("strength", EMOJI_LIMITS.default_strength)
    return settings
