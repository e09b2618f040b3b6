"""Settings carried inside every PNG, and read back from a dropped one.

Two text chunks: `generative-studio` (JSON, exact) and `parameters` (the AUTOMATIC1111 text
layout, so other tools show the settings too). Reading accepts either.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from PIL import Image, PngImagePlugin

JSON_KEY = "generative-studio"
A1111_KEY = "parameters"
FIELDS = ("prompt", "negative_prompt", "model", "steps", "guidance", "width", "height", "seed", "scheduler")


def a1111_text(settings: dict[str, Any]) -> str:
    lines = [settings.get("prompt", "")]
    if settings.get("negative_prompt"):
        lines.append(f"Negative prompt: {settings['negative_prompt']}")
    lines.append(
        f"Steps: {settings.get('steps')}, Sampler: {settings.get('scheduler')}, CFG scale: {settings.get('guidance')}, "
        f"Seed: {settings.get('seed')}, Size: {settings.get('width')}x{settings.get('height')}, Model: {settings.get('model')}"
    )
    return "\n".join(lines)


def save_png(image: Image.Image, settings: dict[str, Any], path: Path) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(JSON_KEY, json.dumps({k: settings.get(k) for k in FIELDS}, ensure_ascii=False))
    info.add_itxt(A1111_KEY, a1111_text(settings))
    image.save(path, format="PNG", pnginfo=info)
    return Path(path)


def _parse_a1111(text: str) -> dict[str, Any]:
    lines = text.strip().split("\n")
    # The prompt may span lines: everything before "Negative prompt:" or the "Steps: …" line.
    end = next((i for i, line in enumerate(lines) if line.startswith(("Negative prompt:", "Steps:"))), len(lines))
    settings: dict[str, Any] = {"prompt": "\n".join(lines[:end])}
    for line in lines[end:]:
        if line.startswith("Negative prompt:"):
            settings["negative_prompt"] = line.split(":", 1)[1].strip()
        else:
            for key, value in re.findall(r"([A-Za-z ]+): ([^,]+)", line):
                key = key.strip().lower()
                try:
                    if key == "size" and "x" in value:
                        settings["width"], settings["height"] = (int(v) for v in value.split("x"))
                    elif key in ("steps", "seed"):
                        settings[key] = int(value)
                    elif key == "cfg scale":
                        settings["guidance"] = float(value)
                except ValueError:  # a field this app cannot use: leave it out
                    continue
                if key in ("model", "sampler"):
                    settings["model" if key == "model" else "scheduler"] = value.strip()
    return settings


def read_settings(image: Image.Image | str | Path) -> dict[str, Any]:
    """The settings stored in a PNG; raises ValueError when it carries none."""
    try:
        if not isinstance(image, Image.Image):
            image = Image.open(image)
        text = getattr(image, "text", None) or image.info  # reading .text loads the file: it may be truncated
    except Exception:
        raise ValueError(f"{str(getattr(image, 'filename', image))!r} is not a PNG this app can read") from None
    if JSON_KEY in text:
        try:
            stored = json.loads(text[JSON_KEY])
            return {k: stored[k] for k in FIELDS if k in stored}
        except (json.JSONDecodeError, TypeError):
            pass
    if A1111_KEY in text:
        return _parse_a1111(text[A1111_KEY])
    raise ValueError("this image carries no generation settings (only PNGs saved by this app or AUTOMATIC1111 do)")
