"""Image → image: a picture (uploaded or drawn) redrawn by the emoji model (SDEdit), by Stable Diffusion
(diffusers' AutoPipelineForImage2Image, sharing the loaded text-to-image weights) or restyled by the emoji StarGAN.

    request = ImageToImageRequest(image="cat.png", prompt="", model="emoji-diffusion", style="openmoji", strength=0.6)
    result = get_image_to_image().run(request)            # an ImageResult, as Text → Image returns
    row = get_image_to_image().restyle(RestyleRequest(image="cat.png", model="emoji-stargan"))   # the seven styles

The picture is read once (pipelines.common.images: the first frame, EXIF rotation, on white), squared on white
and resized to the model's size. Every PNG carries its settings, A1111's "Denoising strength" among them, and the
source picture's SHA-256, so dropping it back restores them.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Optional

import numpy as np
import torch
from PIL import Image

from pipelines.common.checkpoint import load_checkpoint
from pipelines.common.config import get_settings
from pipelines.common.emoji_diffusion.pipeline import IMAGE_STRENGTH
from pipelines.common.emoji_diffusion.styles import STYLES
from pipelines.common.images import as_rgb_picture, open_upload
from pipelines.common.korean import korean_names
from pipelines.common.loading import cached_loader, resolve_model_source
from pipelines.common.outputs import output_folder
from pipelines.common.progress import DONE, ProgressFn, report
from pipelines.common.seeding import cpu_generator, seed_or_random
from pipelines.common.validation import Notice, UserInputError, check_choice, check_number, set_checked
from pipelines.text_to_image.limits import EMBEDDED
from pipelines.text_to_image.metadata import save_png
from pipelines.text_to_image.request import MAX_IMAGES, MIN_STRENGTH, check_model, check_prompt
from pipelines.text_to_image.stargan.model import Generator, StarGANConfig

STARGAN = "emoji-stargan"  # the picker's id for the StarGAN trained here
StyleTarget = Literal[STYLES]
korean_names({"picture": "그림", "the emoji StarGAN": "이모지 StarGAN"})


@dataclass(frozen=True)
class ImageToImageRequest:
    image: Any  # the picture's path (the demos pass only files uploaded through Gradio)
    prompt: str = ""  # what to draw; optional for the emoji models (the picture and style lead), needed by SD
    negative_prompt: str = ""
    model: str = EMBEDDED  # EMBEDDED, STARGAN, or a Stable Diffusion model as in Text → Image
    style: Optional[str] = None  # the emoji models' target style; None: noto
    strength: float = IMAGE_STRENGTH  # share of the schedule redrawn (diffusion models); 1 keeps only the seed
    steps: Optional[int] = None  # the model's default when None
    guidance: Optional[float] = None
    seed: int = -1
    num_images: int = 1

    def __post_init__(self) -> None:
        model = self.model if self.model == STARGAN else check_model(self.model)
        set_checked(self, model=model, prompt=check_prompt(self.prompt, allow_empty=True),
                    negative_prompt=check_prompt(self.negative_prompt, "negative prompt", allow_empty=True),
                    style=None if self.style in (None, "", "auto") else check_choice(self.style, "style", STYLES),
                    strength=check_number(self.strength, "strength", MIN_STRENGTH, 1.0), seed=seed_or_random(self.seed),
                    num_images=check_number(self.num_images, "number of images", 1, MAX_IMAGES, whole=True))
        if model not in (EMBEDDED, STARGAN) and not self.prompt:
            raise UserInputError("image.prompt_needed", f"{model} needs a prompt to redraw a picture: say what it should "
                                 "become", "{model}은(는) 그림을 다시 그리려면 프롬프트가 필요합니다. 무엇이 될지 적어 주세요.",
                                 model=model)


@dataclass(frozen=True)
class RestyleRequest:
    image: Any
    model: str = STARGAN  # STARGAN or EMBEDDED (SDEdit into each style)
    seed: int = -1
    strength: float = IMAGE_STRENGTH

    def __post_init__(self) -> None:
        set_checked(self, model=check_choice(self.model, "model", (STARGAN, EMBEDDED)), seed=seed_or_random(self.seed),
                    strength=check_number(self.strength, "strength", MIN_STRENGTH, 1.0))


def read_picture(path: Any, size: int) -> tuple[Image.Image, str, list[Notice]]:
    """(the picture squared on white at `size` px, the source's SHA-256, what was done to it)."""
    if not isinstance(path, (str, Path)) or not Path(path).is_file():
        raise UserInputError("image.missing", "give a picture: upload one or draw one", "그림을 올리거나 그려 주세요.")
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    picture, notices = as_rgb_picture(open_upload(path, load=False))
    side = max(picture.size)
    square = Image.new("RGB", (side, side), "white")
    square.paste(picture, ((side - picture.width) // 2, (side - picture.height) // 2))
    return square.resize((size, size), Image.LANCZOS), digest, notices


def as_tensor(picture: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(picture, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1).unsqueeze(0)


@cached_loader
def get_stargan(source: str) -> Generator:
    folder = resolve_model_source(source, what="the emoji StarGAN")
    return load_checkpoint(folder, Generator, StarGANConfig, weights="generator.safetensors", what="StarGAN").model


def stargan_images(picture: Image.Image, styles: list[str]) -> list[Image.Image]:
    """The picture in each of `styles`, by the StarGAN trained here (deterministic: no seed)."""
    generator = get_stargan(get_settings().stargan_model)
    with torch.inference_mode():
        out = generator(as_tensor(picture).expand(len(styles), -1, -1, -1), torch.tensor([STYLES.index(s) for s in styles]))
    return [Image.fromarray(((x.permute(1, 2, 0).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)) for x in out]


def source_settings(request: Any, digest: str) -> dict[str, Any]:
    """What every result PNG adds to its request: the source picture's hash (A1111's img2img writes the strength
    as "Denoising strength" from `strength`; metadata.a1111_text does)."""
    return {"source_sha256": digest, "mode": "image_to_image"}


def save_all(images: list[Image.Image], settings: list[dict[str, Any]], stem: str) -> list[Path]:
    folder = output_folder("images")
    return [save_png(image, s, folder / f"{stem}_{i}.png") for i, (image, s) in enumerate(zip(images, settings))]


@dataclass
class PictureResult:
    images: list[Image.Image]
    files: list[Path]  # PNGs carrying their settings and the source's hash
    labels: list[str]  # per image: its seed, or its style for a restyle row
    settings: dict[str, Any]
    seconds: float  # the model's time, loading excluded
    notices: list[Notice]


class ImageToImagePipeline:
    """Image → image for the Text → Image tab (see the module's doc); the models are those Text → Image loads."""

    def run(self, request: ImageToImageRequest, progress: Optional[ProgressFn] = None) -> PictureResult:
        from pipelines.text_to_image.backends import get_backend

        backend = None if request.model == STARGAN else get_backend(request.model)
        size = 64 if backend is None else backend.limits.default_size
        picture, digest, notices = read_picture(request.image, size)
        style = request.style or STYLES[0]
        start = time.perf_counter()
        if backend is None:
            images, seeds = stargan_images(picture, [style]), [request.seed]
        else:
            steps, guidance = model_steps(backend, request)
            seeds = [(request.seed + i) % 2**32 for i in range(request.num_images)]
            images = diffuse(backend, replace(request, steps=steps, guidance=guidance), picture, seeds, style, progress)
        seconds = time.perf_counter() - start
        settings = [{**request_settings(request, style), "seed": s, **source_settings(request, digest)} for s in seeds]
        files = save_all(images, settings, f"img2img_{request.seed}")
        report(progress, 1.0, DONE)
        return PictureResult(images, files, [str(s) for s in seeds], {**settings[0], "seconds": round(seconds, 3)},
                             seconds, notices)

    def restyle(self, request: RestyleRequest, progress: Optional[ProgressFn] = None) -> PictureResult:
        """The picture in every style, one seed: the StarGAN's row in one pass, the emoji model's style by style."""
        picture, digest, notices = read_picture(request.image, 64)
        start = time.perf_counter()
        if request.model == STARGAN:
            images = stargan_images(picture, list(STYLES))
        else:
            one = ImageToImageRequest(image=request.image, model=EMBEDDED, strength=request.strength, seed=request.seed)
            images = [self.run(replace(one, style=style)).images[0] for style in STYLES]
        seconds = time.perf_counter() - start
        settings = [{"model": request.model, "style": s, "seed": request.seed, "strength": request.strength,
                     **source_settings(request, digest)} for s in STYLES]
        files = save_all(images, settings, f"restyle_{request.model}_{request.seed}")
        report(progress, 1.0, DONE)
        return PictureResult(images, files, list(STYLES), {"model": request.model, "seed": request.seed,
                                                           "seconds": round(seconds, 3)}, seconds, notices)


def compare_restyles(image: Any, seed: int = -1, progress: Optional[ProgressFn] = None) -> tuple[Image.Image, Path, list]:
    """The StarGAN's row above the emoji model's (SDEdit), the same picture and seed: one labelled grid, each
    cell with its time (the StarGAN's row is one pass: its time shared by the seven), and the rows' results."""
    from pipelines.common.images import image_grid

    pipeline, rows, seed = get_image_to_image(), [], seed_or_random(seed)
    for i, model in enumerate((STARGAN, EMBEDDED)):
        report(progress, i / 2, Notice("progress.model", model, "{model}", model=model))
        rows.append(pipeline.restyle(RestyleRequest(image=image, model=model, seed=seed)))
    labels = [f"{model} · {style} · {row.seconds / len(STYLES):.2f} s"
              for model, row in zip((STARGAN, EMBEDDED), rows) for style in STYLES]
    grid = image_grid([im for row in rows for im in row.images], cols=len(STYLES), labels=labels, cell=128)
    path = output_folder("images") / f"restyles_{seed}.png"
    grid.save(path)
    report(progress, 1.0, DONE)
    return grid, path, rows


def model_steps(backend, request: ImageToImageRequest) -> tuple[int, float]:
    """The request's steps and guidance within the model's limits (its defaults where not given)."""
    limits = backend.limits
    steps = limits.default_steps if request.steps is None else check_number(request.steps, "steps", 1, limits.max_steps, whole=True)
    guidance = (limits.default_guidance if request.guidance is None
                else check_number(request.guidance, "guidance", 0.0, limits.max_guidance))
    return steps, guidance


def request_settings(request: ImageToImageRequest, style: str) -> dict[str, Any]:
    keep = ("prompt", "negative_prompt", "model", "steps", "guidance", "strength")
    return {**{k: getattr(request, k) for k in keep if getattr(request, k) not in (None, "")}, "style": style}


def diffuse(backend, request: ImageToImageRequest, picture: Image.Image, seeds: list[int], style: str,
            progress: Optional[ProgressFn]) -> list[Image.Image]:
    """SDEdit with the emoji model, or Stable Diffusion's img2img pipeline made from the loaded one (from_pipe)."""
    generators = [cpu_generator(s) for s in seeds]

    def on_step(pipe, i, t, kwargs):
        report(progress, (i + 1) / max(kwargs.get("steps", request.steps), 1), Notice(
            "progress.denoise", f"denoising step {i + 1}", "잡음 제거 {step}단계", step=i + 1))
        return kwargs

    with backend.lock:
        if request.model == EMBEDDED:
            backend.pipe.scheduler = backend.scheduler_for("default")
            return list(backend.pipe(request.prompt, style=style, negative_prompt=request.negative_prompt or None,
                                     image=as_tensor(picture), strength=request.strength, num_inference_steps=request.steps,
                                     guidance_scale=request.guidance, num_images_per_prompt=len(seeds),
                                     generator=generators, callback_on_step_end=on_step).images)
        pipe = image_pipe(backend)
        pipe.scheduler = backend.scheduler_for("default")
        return list(pipe(prompt=request.prompt, negative_prompt=request.negative_prompt or None, image=picture,
                         strength=request.strength, num_inference_steps=request.steps, guidance_scale=request.guidance,
                         num_images_per_prompt=len(seeds), generator=generators).images)


def image_pipe(backend):
    """The SD checkpoint's img2img pipeline, sharing the text-to-image pipeline's modules (no second copy)."""
    if getattr(backend, "img2img", None) is None:
        from diffusers import AutoPipelineForImage2Image

        backend.img2img = AutoPipelineForImage2Image.from_pipe(backend.pipe)
    return backend.img2img


@cached_loader
def get_image_to_image() -> ImageToImagePipeline:
    return ImageToImagePipeline()
