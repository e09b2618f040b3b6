"""Helpers for the typed endpoints programs call (each tab defines its own with `publish`).

A typed endpoint is a `gr.api` function: Gradio builds its schema from the type hints and its
description from the docstring, passes the client's JSON through untouched (no component
pre-processing, so the pipelines' own checks answer every bad input with a sentence), and returns
one dict with named fields. Files go out as FileData (the client downloads them) and come in only
as files uploaded through Gradio (`handle_file`), never as a path on the server.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable, Optional

import gradio as gr
from gradio.context import get_blocks_context
from gradio.data_classes import FileData
from gradio.utils import get_upload_folder, is_in_or_equal
from PIL import Image

from demos.errors import user_errors
from demos.i18n import language, strings
from pipelines.common.config import get_settings
from pipelines.common.korean import korean_names
from pipelines.common.outputs import output_folder
from pipelines.common.validation import UserInputError

korean_names({"primer": "프라이머", "image": "그림"})  # the files the endpoints take


def batched(model: str) -> dict:
    """The queue of the events whose work `model` batches (pipelines/common/batching.py): one concurrency group per
    model, the page's events and the typed endpoints together, GS_BATCH_CONCURRENCY of them at once (the requests
    waiting in the model's queue share its passes; with GS_CONCURRENCY's 4 the passes would stay small)."""
    return dict(concurrency_id=f"model-{model}", concurrency_limit=get_settings().batch_concurrency)


def publish(fn: Callable, api_name: str, queue: Optional[dict] = None) -> None:
    """Register `fn` as the public typed endpoint `/api_name`; its one result is named "result".
    Give `fn` a `request: gr.Request = None` parameter: errors are then written in the client's language.
    `queue`: its concurrency group (`batched(model)`), else GS_CONCURRENCY of its own."""
    dependency = gr.api(user_errors(fn), api_name=api_name, api_description=(fn.__doc__ or "").strip().split("\n\n")[0],
                        **(queue or {}))
    blocks = get_blocks_context().blocks
    for block_id in dependency["outputs"]:
        blocks[block_id].label = "result"  # gr.api would call it "1st"
    for block_id, name in zip(dependency["inputs"], (p for p in fn.__code__.co_varnames[: fn.__code__.co_argcount])):
        blocks[block_id].label = name


def file_out(path: str | Path | None) -> dict | None:
    """A file for the client to download (written where Gradio serves from, it is served in place: one copy)."""
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
        if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData" and _uploaded(path) and Path(path).is_file():
            return path
    except (OSError, ValueError):  # a NUL byte, an unreadable path: the same sentence
        pass
    raise UserInputError("file.missing", f"{name} must be a file uploaded with the request (gradio_client: "
                         f"handle_file(path))", "{name}은(는) 요청과 함께 업로드한 파일이어야 합니다"
                         "(gradio_client에서는 handle_file(path)로 올리세요).", name=name)


def _uploaded(path: Any) -> bool:
    try:
        return isinstance(path, str) and len(path) < 1000 and is_in_or_equal(path, get_upload_folder())
    except (OSError, ValueError):
        return False


REFUSED = {"refused": "not an uploaded file"}


def _foreign(value: Any) -> bool:
    meta = value.get("meta") if isinstance(value, dict) else None
    return isinstance(meta, dict) and meta.get("_type") == "gradio.FileData" and not _uploaded(value.get("path"))


def _refuse_foreign_files(value: Any) -> Any:
    """File references that are not uploads (a server path, a URL) replaced by a marker `file_in` refuses, at any
    depth: Gradio would otherwise answer with its own text quoting the path, or fetch the URL from the server.
    Walked with a stack, in place (the request's JSON was just parsed), so deep nesting costs no recursion."""
    if _foreign(value):
        return dict(REFUSED)
    stack = [value]
    while stack:
        container = stack.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, item in list(items):
            if _foreign(item):
                container[key] = dict(REFUSED)
            elif isinstance(item, (dict, list)):
                stack.append(item)
    return value


def guard_inputs(validate: Callable) -> Callable:
    """Wrap Blocks.validate_inputs, which Gradio runs on every call before touching the inputs:
    - a raw HTTP client that leaves out trailing optional inputs gets their defaults (gradio_client fills
      them in itself) instead of Gradio's text about "Javascript functions"; a required one arrives as
      None and the endpoint says what is missing;
    - file references that are not uploads are neutralised (see _refuse_foreign_files)."""

    def validate_inputs(block_fn, inputs: list) -> None:
        for block in block_fn.inputs[len(inputs):]:
            # A copy: the walk below edits lists and dicts in place, and this is the component's own default.
            inputs.append(None if getattr(block, "stateful", False) else copy.deepcopy(getattr(block, "value", None)))
        inputs[:] = [_refuse_foreign_files(v) if isinstance(v, (dict, list)) else v for v in inputs]
        validate(block_fn, inputs)

    return validate_inputs


_, MALFORMED = strings("api")  # a request refused before any endpoint reads it: demos/strings/api.toml


def request_errors() -> dict:
    """FastAPI exception handlers (launch's app_kwargs): a malformed request body or an unknown endpoint
    gets one sentence, not a validation dump that echoes the input back."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from gradio.route_utils import FnIndexInferError

    async def bad_body(request, exc):
        return JSONResponse({"detail": MALFORMED("body", language(request))}, status_code=422)

    async def no_endpoint(request, exc):
        return JSONResponse({"detail": MALFORMED("endpoint", language(request))}, status_code=404)

    return {RequestValidationError: bad_body, FnIndexInferError: no_endpoint}
