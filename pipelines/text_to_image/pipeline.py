"""Text → Image: one pipeline class in front of every model (SD through diffusers, the embedded one).

    result = TextToImage()("a red heart", model="emoji-diffusion", seed=7, num_images=4)
    result.files      # PNGs, each carrying its settings in a text chunk
    result.settings   # what was used, seed included

`check_inputs` validates everything a client can send (past the UI's sliders) and raises
ValueError quoting the bad value; prompts beyond the text encoder's window are cut and the user is
told; a Korean prompt to an English-only model is translated when a translation model is present,
and otherwise the user is told plainly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from PIL import Image

from pipelines.common.images import image_grid
from pipelines.common.outputs import output_folder
from pipelines.common.progress import ProgressFn, report
from pipelines.common.seeding import seed_or_random
from pipelines.common.loading import check_model_request
from pipelines.common.validation import Notice, UserInputError, check_choice, check_number, check_text, parse_int, quote, split_list
from pipelines.text_to_image.backends import EMBEDDED, EMBEDDED_32, MODEL_DEFAULT, Backend, get_backend
from pipelines.text_to_image.metadata import save_png
from pipelines.text_to_image.schedulers import SCHEDULERS
from pipelines.text_to_image.styles import split_style
from pipelines.text_to_image.translate import TranslationError, has_hangul, translate_to_english

MAX_IMAGES = 8
MAX_PROMPT_CHARS = 2000
MAX_COMPARE = 8  # cells in one comparison grid
# Work cap for one request, in images × steps at the model's native size: 8 images of 50 steps. Keeps one
# request from holding a CPU host (or a ZeroGPU slot) for hours.
MAX_WORK = 400
DISPLAY_SIZE = 256  # pixels per cell of a comparison grid
SCHEDULER_CHOICES = (MODEL_DEFAULT,) + tuple(SCHEDULERS)
STYLE_AUTO = "auto"  # style choice: a style word in the prompt, else the model's default


@dataclass
class ImageResult:
    images: list[Image.Image]  # as the model made them (the embedded model's are 32 px)
    files: list[Path]  # one PNG per image, settings in its text chunks
    seeds: list[int]  # image i was drawn with seeds[i] (= seed + i)
    settings: dict[str, Any]  # everything used, ready to send back as JSON
    seconds: float  # generation time, loading excluded
    notices: list[str] = field(default_factory=list)  # truncation, translation, safety filter


@dataclass
class CompareCell:
    label: str
    image: Optional[Image.Image]  # None when this model could not run (the reason is in `error`)
    seconds: float
    file: Optional[Path] = None
    error: str = ""


@dataclass
class CompareResult:
    cells: list[CompareCell]
    grid: Image.Image
    grid_file: Path
    seed: int


def _check_text(value: Any, name: str, allow_empty: bool) -> str:
    text = check_text(value, name, MAX_PROMPT_CHARS, allow_empty, empty_hint="describe the picture you want, e.g. 'a red heart'")
    if text and not allow_empty and not any(ch.isalnum() for ch in text):
        raise UserInputError("text.symbols", f"{name} {quote(text)} has no words, only symbols: describe the picture in "
                             "words, e.g. 'a red heart'", name=name, value=quote(text))
    return text


def _seed_or_random(seed: Any) -> int:
    """-1 (or None) means "random": a fresh seed, which the result always reports."""
    return seed_or_random(seed)


def _check_model(value: Any) -> str:
    """The embedded model, the host's list, or (if allowed) a hub id or a model in GS_MODELS_DIR."""
    from pipelines.common.config import get_settings

    s = get_settings()
    return check_model_request(value, (EMBEDDED, EMBEDDED_32) + s.image_models, s.custom_models, s.models_dir)


def _check_list(value: Any) -> list:
    """A list from a list, a tuple, a single value or comma-separated text; [] for None or ''."""
    if value is None or isinstance(value, (str, list, tuple)):
        return split_list(value, "list", 64)
    return [value]


def _check_steps(value: Any) -> list[Optional[int]]:
    """Step counts for a comparison: a list or "10, 25" text; [None] (each model's default) when empty."""
    steps = []
    for s in _check_list(value):
        steps.append(parse_int(s, "each step count"))
    return steps or [None]


class TextToImage:
    def load(self, model: Any) -> Backend:
        return get_backend(_check_model(model))

    def check_inputs(self, backend: Backend, prompt: Any, negative_prompt: Any, steps: Any, guidance: Any,
                     width: Any, height: Any, seed: Any, num_images: Any, scheduler: Any,
                     style: Any = None) -> dict[str, Any]:
        """Validated settings with the model's defaults filled in (None = default; seed -1 = random)."""
        limits = backend.limits
        settings = dict(
            prompt=_check_text(prompt, "prompt", allow_empty=False),
            negative_prompt=_check_text(negative_prompt, "negative prompt", allow_empty=True),
            model=backend.name,
            steps=limits.default_steps if steps is None else check_number(steps, "steps", 1, limits.max_steps, whole=True),
            guidance=limits.default_guidance if guidance is None
            else check_number(guidance, "guidance", 0.0, limits.max_guidance),
            num_images=check_number(num_images, "number of images", 1, MAX_IMAGES, whole=True),
        )
        for name, value in (("width", width), ("height", height)):
            size = limits.default_size if value is None else check_number(
                value, name, limits.min_size, limits.max_size, whole=True)
            if size % limits.size_multiple:
                raise ValueError(f"{name} must be a multiple of {limits.size_multiple}, got {size}")
            settings[name] = size
        settings["seed"] = _seed_or_random(seed)
        work = settings["steps"] * settings["num_images"] * settings["width"] * settings["height"] / limits.default_size**2
        if work > MAX_WORK:
            raise ValueError(f"this asks for {settings['num_images']} images × {settings['steps']} steps at "
                             f"{settings['width']}×{settings['height']}, more than one request may take here "
                             f"({MAX_WORK} image-steps at {limits.default_size} px): fewer images, steps or pixels")
        settings["scheduler"] = MODEL_DEFAULT if scheduler is None else check_choice(scheduler, "scheduler", SCHEDULER_CHOICES)
        settings.update(self.check_style(backend, settings, style))
        return settings

    @staticmethod
    def check_style(backend: Backend, settings: dict[str, Any], style: Any) -> dict[str, Any]:
        """The style to draw in: the control's, else a style word in the prompt (then taken out of it), else the
        model's default. A model without styles takes no style."""
        if style in (None, "", STYLE_AUTO):
            style = None
        elif not backend.limits.styles:
            raise UserInputError("style.none", f"{backend.name} has no styles; leave the style empty or "
                                 f"'{STYLE_AUTO}' (got {quote(style)})", model=backend.name, value=quote(style))
        else:
            style = check_choice(style, "style", backend.limits.styles)
        if not backend.limits.styles:
            return {}
        prompt, named = split_style(settings["prompt"])
        if named and not prompt:
            raise UserInputError("style.only", f"the prompt {quote(settings['prompt'])} names only a style: say what to "
                                 "draw, e.g. 'red apple, openmoji style'", value=quote(settings["prompt"]))
        if named:
            settings["prompt"] = prompt
        return {"style": style or named or backend.limits.styles[0]}

    def prepare_prompts(self, backend: Backend, settings: dict[str, Any]) -> list[str]:
        """Translate or cut the prompts in place; return the notices for the user."""
        notices = []
        for key in ("prompt", "negative_prompt"):
            text = settings[key]
            if text and backend.limits.english_only and has_hangul(text):
                what = key.replace("_", " ")
                try:
                    translated = translate_to_english(text)
                except TranslationError as exc:
                    notices.append(Notice("translate.failed", f"The {what} was used as typed: {exc}.", what=what))
                else:
                    if translated is None:
                        notices.append(Notice(
                            "translate.none", f"{backend.name} reads English only and no Korean→English translation "
                            f"model is on this machine, so the {what} was used as typed. Write it in English, or pick "
                            f"'{EMBEDDED}', which understands Korean.", model=backend.name, what=what))
                    else:
                        notices.append(Notice("translate.done", f"The {what} was translated for {backend.name}: "
                                              f"{translated!r}", what=what, model=backend.name, text=repr(translated)))
                        settings[f"{key}_original"], text = text, translated
            if text and backend.count_tokens(text) > backend.limits.max_prompt_tokens:
                text = backend.truncate(text)
                what = key.replace("_", " ")
                notices.append(Notice("prompt.cut", f"The {what} was longer than the model reads "
                                      f"({backend.limits.max_prompt_tokens} tokens) and was cut to: {text!r}",
                                      what=what, limit=backend.limits.max_prompt_tokens, text=repr(text)))
            settings[key] = text
        if settings["negative_prompt"] and settings["guidance"] <= 1:
            notices.append(Notice("negative.unused", "The negative prompt has no effect at guidance ≤ 1 "
                                  "(it steers through guidance)."))
        return notices

    def __call__(self, prompt: Any, negative_prompt: Any = "", model: Any = EMBEDDED, steps: Any = None,
                 guidance: Any = None, width: Any = None, height: Any = None, seed: Any = -1, num_images: Any = 1,
                 scheduler: Any = MODEL_DEFAULT, progress: Optional[ProgressFn] = None, style: Any = None) -> ImageResult:
        _check_text(prompt, "prompt", allow_empty=False)  # before loading: a bad request must not wait minutes for SD
        report(progress, 0.0, f"loading {model}")
        backend = self.load(model)
        settings = self.check_inputs(backend, prompt, negative_prompt, steps, guidance, width, height, seed,
                                     num_images, scheduler, style)
        notices = self.prepare_prompts(backend, settings)
        seeds = [(settings["seed"] + i) % 2**32 for i in range(settings["num_images"])]
        start = time.perf_counter()
        generation = backend.generate(settings["prompt"], settings["negative_prompt"], settings["steps"],
                                      settings["guidance"], settings["width"], settings["height"], seeds,
                                      settings["scheduler"], progress, style=settings.get("style"))
        seconds = time.perf_counter() - start
        if any(generation.hidden):
            notices.append(Notice("safety.hidden", f"{sum(generation.hidden)} of {len(seeds)} images were hidden by the "
                                  "safety filter.", hidden=sum(generation.hidden), total=len(seeds)))
        images = generation.images  # exactly what the model made; the page enlarges small ones
        folder = output_folder("images")
        files = [save_png(im, settings | {"seed": s}, folder / f"image_{s}.png") for im, s in zip(images, seeds)]
        report(progress, 1.0, "done")
        return ImageResult(images, files, seeds, settings | {"seeds": seeds, "seconds": round(seconds, 3)}, seconds, notices)

    def compare(self, prompt: Any, models: Sequence[Any], seed: Any = -1, steps: Optional[Sequence[Any]] = None,
                schedulers: Optional[Sequence[Any]] = None, negative_prompt: Any = "", guidance: Any = None,
                progress: Optional[ProgressFn] = None) -> CompareResult:
        """One prompt and seed across models × step counts × schedulers: a labelled grid with timings.

        A model that cannot run (not downloaded, offline) fills its cell with the reason instead of
        failing the whole comparison.
        """
        models = [_check_model(m) for m in _check_list(models)]
        if not models:
            raise ValueError("models is empty: pick at least one model to compare")
        steps = _check_steps(steps)
        schedulers = _check_list(schedulers) or [MODEL_DEFAULT]
        for sched in schedulers:
            check_choice(sched, "scheduler", SCHEDULER_CHOICES)
        combos = [(m, s, sc) for m in models for s in steps for sc in schedulers]
        if len(combos) > MAX_COMPARE:
            raise ValueError(f"{len(combos)} combinations asked for ({len(models)} models × {len(steps)} step counts "
                             f"× {len(schedulers)} schedulers); at most {MAX_COMPARE} fit in one grid")
        seed = _seed_or_random(seed)
        _check_text(prompt, "prompt", allow_empty=False)
        cells = []
        for i, (model, step, sched) in enumerate(combos):
            report(progress, i / len(combos), f"{model} ({i + 1}/{len(combos)})")
            label = " · ".join([str(model)] + ([f"{step} steps"] if len(steps) > 1 or step else []) +
                               ([sched] if len(schedulers) > 1 else []))
            try:
                result = self(prompt, negative_prompt, model, step, guidance, None, None, seed, 1, sched)
                cells.append(CompareCell(f"{label} · {result.seconds:.2f} s", result.images[0], result.seconds,
                                         result.files[0]))
            except (ValueError, FileNotFoundError) as exc:  # not downloaded, out of range, …: say so in the cell
                if len(combos) == 1:
                    raise
                cells.append(CompareCell(label, None, 0.0, error=str(exc)))
        tiles = [c.image or Image.new("RGB", (DISPLAY_SIZE, DISPLAY_SIZE), "#dddddd") for c in cells]
        grid = image_grid(tiles, cols=min(4, len(tiles)), labels=[c.label if c.image else f"{c.label}: unavailable"
                                                                  for c in cells], cell=DISPLAY_SIZE)
        grid_file = output_folder("images") / f"compare_{seed}.png"
        grid.save(grid_file)
        report(progress, 1.0, "done")
        return CompareResult(cells, grid, grid_file, seed)

