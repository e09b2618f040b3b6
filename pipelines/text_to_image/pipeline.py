"""Text → Image: one pipeline in front of every model (SD through diffusers, the embedded ones).

    request = ImageRequest.from_user(prompt="a red heart", model="emoji-diffusion", seed=7, num_images=4)
    result = get_pipeline().generate(request)
    result.files      # PNGs, each carrying its settings in a text chunk
    result.settings   # what was used, seed included

The request is checked without a model when it is built (request.py), then against the model's limits
here, once the model is loaded. Prompts beyond the text encoder's window are cut and the user is told;
a Korean prompt to an English-only model is translated when a translation model is present, and
otherwise the user is told plainly.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from PIL import Image

from pipelines.common.images import image_grid
from pipelines.common.outputs import output_folder
from pipelines.common.progress import DONE, ProgressFn, report
from pipelines.common.validation import Notice, as_notice, say
from pipelines.text_to_image.backends import EMBEDDED, Backend, get_backend
from pipelines.text_to_image.metadata import save_png
from pipelines.text_to_image.request import CompareRequest, ImageRequest, check_model
from pipelines.text_to_image.translate import TranslationError, has_hangul, translate_to_english

DISPLAY_SIZE = 256  # pixels per cell of a comparison grid


@dataclass
class ImageResult:
    images: list[Image.Image]  # as the model made them (the embedded model's are 64 px unless asked otherwise)
    files: list[Path]  # one PNG per image, settings in its text chunks
    seeds: list[int]  # image i was drawn with seeds[i] (= seed + i)
    settings: dict[str, Any]  # everything used, ready to send back as JSON: the request, seeds, seconds
    seconds: float  # generation time, loading excluded
    request: ImageRequest  # the complete request drawn, prompts as the model read them
    notices: list[str] = field(default_factory=list)  # truncation, translation, safety filter
    steps_run: int = 0  # how many of the steps ran: fewer than asked where the emoji model starts from its sketch


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


class TextToImagePipeline:
    def load(self, model: Any) -> Backend:
        """The model a person named, checked as in a request (no loading from arbitrary paths), loaded."""
        return get_backend(check_model(model))

    def generate(self, request: ImageRequest, progress: Optional[ProgressFn] = None) -> ImageResult:
        """Images for a request built with `ImageRequest.from_user`."""
        report(progress, 0.0, Notice("progress.loading", f"loading {request.model}", "{model} 불러오는 중",
                                     model=request.model))
        backend = get_backend(request.model)
        request, originals, notices = prepare_prompts(backend, request.for_model(backend))
        start = time.perf_counter()
        generation = backend.generate(request, progress)
        seconds = time.perf_counter() - start
        seeds = request.seeds
        notices += generation.notices
        if any(generation.hidden):
            notices.append(Notice("safety.hidden", f"{sum(generation.hidden)} of {len(seeds)} images were hidden by the "
                                  "safety filter.", "그림 {total}장 중 {hidden}장을 안전 필터가 가렸습니다.",
                                  hidden=sum(generation.hidden), total=len(seeds)))
        folder = output_folder("images")
        # Exactly what the model made (the page enlarges small ones); each PNG carries its own image's seed.
        files = [save_png(image, replace(request, seed=seed).settings(), folder / f"image_{seed}.png")
                 for image, seed in zip(generation.images, seeds)]
        report(progress, 1.0, DONE)
        settings = request.settings() | originals | {"seeds": seeds, "seconds": round(seconds, 3)}
        return ImageResult(generation.images, files, seeds, settings, seconds, request, notices,
                           steps_run=backend.steps_run(request))

    def compare(self, request: CompareRequest, progress: Optional[ProgressFn] = None, lang: str = "en") -> CompareResult:
        """One prompt and seed across models × step counts × schedulers: a labelled grid with timings, its labels
        drawn in `lang` ("en" or "ko": the picture cannot be translated later, as the cells' labels are).

        A model that cannot run (not downloaded, offline, a step count past its limit) fills its cell with
        the reason instead of failing the whole comparison.
        """
        cells = []
        todo = request.cells()
        for i, (label, cell) in enumerate(todo):
            report(progress, i / len(todo), Notice("progress.cell", f"{cell.model} ({i + 1}/{len(todo)})",
                                                   "{model} ({i}/{n})", model=cell.model, i=i + 1, n=len(todo)))
            try:
                result = self.generate(cell)
                if result.steps_run < result.request.steps:  # the emoji model from its sketch: say how many steps ran
                    label = request.label(cell.model, cell.steps, cell.scheduler, run=result.steps_run)
                timed = Notice("compare.timed", f"{label} · {result.seconds:.2f} s", "{label} · {seconds:.2f}초",
                               label=label, seconds=result.seconds)
                cells.append(CompareCell(timed, result.images[0], result.seconds, result.files[0]))
            except (ValueError, FileNotFoundError) as exc:  # not downloaded, out of range, …: say so in the cell
                if len(todo) == 1:
                    raise
                cells.append(CompareCell(label, None, 0.0, error=as_notice(exc)))
        tiles = [c.image or Image.new("RGB", (DISPLAY_SIZE, DISPLAY_SIZE), "#dddddd") for c in cells]
        labels = [c.label if c.image else Notice("compare.unavailable", f"{c.label}: unavailable", "{label}: 실행할 수 없음",
                                                 label=c.label) for c in cells]
        grid = image_grid(tiles, cols=min(4, len(tiles)), labels=[say(label, lang) for label in labels], cell=DISPLAY_SIZE)
        grid_file = output_folder("images") / f"compare_{request.seed}.png"
        grid.save(grid_file)
        report(progress, 1.0, DONE)
        return CompareResult(cells, grid, grid_file, request.seed)


@functools.lru_cache(maxsize=1)
def get_pipeline() -> TextToImagePipeline:
    """The tab's one pipeline (the models behind it are loaded on first use and cached by get_backend)."""
    return TextToImagePipeline()


def prepare_prompts(backend: Backend, request: ImageRequest) -> tuple[ImageRequest, dict[str, str], list[Notice]]:
    """The prompts as the model will read them: translated (Korean to an English-only model) and cut to its
    window. Returns the new request, the translated prompts' originals (`prompt_original`, …) and the
    notices for the user."""
    originals, notices, prompts = {}, [], {}
    for key in ("prompt", "negative_prompt"):
        text, what = getattr(request, key), key.replace("_", " ")
        if text and backend.limits.english_only and has_hangul(text):
            translated, notice = _translate(backend, text, what)
            notices.append(notice)
            if translated is not None:
                originals[f"{key}_original"], text = text, translated
        if text and backend.count_tokens(text) > backend.limits.max_prompt_tokens:
            text = backend.truncate(text)
            notices.append(Notice("prompt.cut", f"The {what} was longer than the model reads "
                                  f"({backend.limits.max_prompt_tokens} tokens) and was cut to: {text!r}",
                                  "{what}이(가) 모델이 읽는 길이({limit} 토큰)보다 길어서 잘랐습니다: {text}",
                                  what=what, limit=backend.limits.max_prompt_tokens, text=repr(text)))
        prompts[key] = text
    if prompts["negative_prompt"] and request.guidance <= 1:
        notices.append(Notice("negative.unused", "The negative prompt has no effect at guidance ≤ 1 "
                              "(it steers through guidance).", "가이던스가 1 이하이면 네거티브 프롬프트는 효과가 없습니다"
                              "(가이던스를 통해 작동합니다)."))
    return replace(request, **prompts), originals, notices


def _translate(backend: Backend, text: str, what: str) -> tuple[Optional[str], Notice]:
    """(English text or None when it stays as typed, the notice saying which)."""
    try:
        translated = translate_to_english(text)
    except TranslationError as exc:
        return None, Notice("translate.failed", f"The {what} was used as typed: {exc}.",
                            "{what}을(를) 번역하지 못해 입력한 그대로 썼습니다.", what=what)
    if translated is None:
        return None, Notice("translate.none", f"{backend.name} reads English only and no Korean→English translation "
                            f"model is on this machine, so the {what} was used as typed. Write it in English, or pick "
                            f"'{EMBEDDED}', which understands Korean.", "{model}은(는) 영어만 읽는데 이 컴퓨터에 한→영 "
                            "번역 모델이 없어 {what}을(를) 입력한 그대로 썼습니다. 영어로 쓰거나, 한국어를 이해하는 "
                            "'{embedded}'을(를) 고르세요.", model=backend.name, what=what, embedded=EMBEDDED)
    return translated, Notice("translate.done", f"The {what} was translated for {backend.name}: {translated!r}",
                              "{model}에 맞게 {what}을(를) 번역했습니다: {text}", what=what, model=backend.name,
                              text=repr(translated))
