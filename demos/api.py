"""Helpers for the typed endpoints programs call (each tab defines its own with `publish`).

A typed endpoint is a `gr.api` function: Gradio builds its schema from the type hints and its
description from the docstring, passes the client's JSON through untouched (no component
pre-processing, so the pipelines' own checks answer every bad input with a sentence), and returns
one dict with named fields. Files go out as FileData (the client downloads them) and come in only
as files uploaded through Gradio (`handle_file`), never as a path on the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import gradio as gr
from gradio.context import get_blocks_context
from gradio.data_classes import FileData
from gradio.utils import get_upload_folder, is_in_or_equal
from PIL import Image

from demos.errors import user_errors
from pipelines.common.outputs import output_folder
from pipelines.common.validation import UserInputError


def publish(fn: Callable, api_name: str) -> None:
    """Register `fn` as the public typed endpoint `/api_name`; its one result is named "result".
    Give `fn` a `request: gr.Request = None` parameter: errors are then written in the client's language."""
    dependency = gr.api(user_errors(fn), api_name=api_name, api_description=(fn.__doc__ or "").strip().split("\n\n")[0])
    blocks = get_blocks_context().blocks
    for block_id in dependency["outputs"]:
        blocks[block_id].label = "result"  # gr.api would call it "1st"
    for block_id, name in zip(dependency["inputs"], (p for p in fn.__code__.co_varnames[: fn.__code__.co_argcount])):
        blocks[block_id].label = name


def file_out(path: str | Path | None) -> dict | None:
    """A file for the client to download (Gradio copies it to its cache and serves it)."""
    return None if path is None else FileData(path=str(path)).model_dump()


def image_out(image: Image.Image | None, name: str = "image") -> dict | None:
    """A PIL image as a PNG file for the client."""
    if image is None:
        return None
    path = output_folder("api") / f"{name}.png"
    image.save(path, format="PNG")
    return file_out(path)


def images_out(images: list[Image.Image]) -> list[dict]:
    folder = output_folder("api")
    paths = []
    for i, image in enumerate(images):
        image.save(folder / f"image_{i}.png", format="PNG")
        paths.append(file_out(folder / f"image_{i}.png"))
    return paths


def file_in(value: Any, name: str, required: bool = True) -> str | None:
    """The server path of a file the client uploaded through Gradio (`handle_file(path)`), or None.
    A bare path, a URL or a file outside Gradio's upload folder is refused, so a client cannot make
    the app read files of the server."""
    if value in (None, "") and not required:
        return None
    path = value.get("path") if isinstance(value, dict) else None
    meta = value.get("meta") if isinstance(value, dict) else None
    try:
        if (isinstance(path, str) and isinstance(meta, dict) and meta.get("_type") == "gradio.FileData"
                and len(path) < 1000 and is_in_or_equal(path, get_upload_folder()) and Path(path).is_file()):
            return path
    except (OSError, ValueError):  # a NUL byte, an unreadable path: the same sentence
        pass
    raise UserInputError("file.missing", f"{name} must be a file uploaded with the request (gradio_client: "
                         f"handle_file(path))", name=name)
