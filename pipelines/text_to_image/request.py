"""What a person or program asks the Text → Image tab for: one frozen dataclass per action.

A request is built once, at the edge (the page's handler, the API endpoint), and checked in two steps:

    request = ImageRequest.from_user(prompt="a red heart", seed=-1)  # 1. what needs no model: types, text,
                                                                      #    choices, the model's name; -1 → a seed
    request = request.for_model(backend)                              # 2. the model's limits; its defaults filled in

Step 1 runs before any model loads, so a bad request never waits for Stable Diffusion to load. Step 2
returns a complete request; everything below it (the backends, the PNG metadata) trusts it.
Changing one field of a checked request is `dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Optional

from pipelines.common.config import get_settings
from pipelines.common.korean import korean_names
from pipelines.common.loading import check_model_request
from pipelines.common.seeding import seed_or_random
from pipelines.common.validation import (Notice, UserInputError, check_choice, check_number, check_text, parse_int, quote,
                                         split_list)
from pipelines.text_to_image.limits import EMBEDDED, Model, ModelLimits
from pipelines.text_to_image.schedulers import MODEL_DEFAULT, check_scheduler
from pipelines.common.emoji_diffusion.styles import STYLES, split_style

MAX_IMAGES = 8
MAX_PROMPT_CHARS = 2000
MAX_COMPARE = 8  # cells in one comparison grid
# Work cap for one request, in images × steps at the model's native size: 8 images of 50 steps. Keeps one
# request from holding a CPU host (or a ZeroGPU slot) for hours.
MAX_WORK = 400
STYLE_AUTO = "auto"  # style choice: a style word in the prompt, else the model's default
StyleChoice = Literal[(STYLE_AUTO,) + STYLES]  # the API schema lists them
MIN_STRENGTH = 0.05  # below this no denoising step would be left to run
korean_names({"prompt": "프롬프트", "negative prompt": "네거티브 프롬프트", "number of images": "그림 수", "steps": "단계 수",
              "guidance": "가이던스", "width": "너비", "height": "높이", "style": "스타일", "strength": "강도",
              "each step count": "각 단계 수", "list": "목록"})


@dataclass(frozen=True)
class ImageRequest:
    """One Text → Image request. None means "the model's default" until `for_model` fills it in."""

    prompt: str  # what to draw; a style word in it ("…, openmoji style") becomes `style` (styled models)
    negative_prompt: str = ""  # what to steer away from; "" = nothing
    model: str = EMBEDDED  # the embedded model, one of the host's SD models, or (where allowed) a hub id or folder
    steps: Optional[int] = None  # denoising steps
    guidance: Optional[float] = None  # classifier-free guidance scale
    width: Optional[int] = None  # pixels, a multiple of the model's size step
    height: Optional[int] = None
    seed: int = -1  # image i is drawn with seed + i; -1 = a fresh random seed (always reported)
    num_images: int = 1
    scheduler: str = MODEL_DEFAULT  # "default" = the model's own, else a name from schedulers.SCHEDULERS
    style: Optional[str] = None  # the emoji model's style; None or "auto" = a style word in the prompt, else its default
    # The emoji model's start: the share of the steps run from its layout prior's guess (1 = from pure noise, as
    # Stable Diffusion always starts); None = the model's default. A model without a prior takes only None or 1.
    strength: Optional[float] = None

    @classmethod
    def from_user(cls, *args: Any, **sent: Any) -> "ImageRequest":
        """The request as sent (the fields' names and order), checked as far as it can be without a model.

        The fields the model bounds (steps, guidance, width, height, style, strength) stay as sent: their messages
        quote the model's range, so `for_model` checks them."""
        request = cls(*args, **sent)
        return replace(
            request,
            prompt=check_prompt(request.prompt),
            negative_prompt=check_prompt(request.negative_prompt, "negative prompt", allow_empty=True),
            model=check_model(request.model),
            num_images=check_number(request.num_images, "number of images", 1, MAX_IMAGES, whole=True),
            seed=seed_or_random(request.seed),
            scheduler=check_scheduler(MODEL_DEFAULT if request.scheduler is None else request.scheduler),
            style=None if request.style in (None, "", STYLE_AUTO) else request.style,
        )

    def for_model(self, backend: Model) -> "ImageRequest":
        """This request checked against the model's limits, its defaults filled in: complete, ready to draw."""
        limits = backend.limits
        steps, guidance = limits.default_steps, limits.default_guidance
        if self.steps is not None:
            steps = check_number(self.steps, "steps", 1, limits.max_steps, whole=True)
        if self.guidance is not None:
            guidance = check_number(self.guidance, "guidance", 0.0, limits.max_guidance)
        strength = self._check_strength(backend)
        width, height = _check_size("width", self.width, limits), _check_size("height", self.height, limits)
        work = steps * self.num_images * width * height / limits.default_size**2
        if work > MAX_WORK:
            raise UserInputError("image.work", f"this asks for {self.num_images} images × {steps} steps at {width}×{height}, "
                                 f"more than one request may take here ({MAX_WORK} image-steps at {limits.default_size} px): "
                                 "fewer images, steps or pixels", "그림 {images}장을 {steps}단계씩 {width}×{height} 크기로 그리는 것은 "
                                 "요청 하나에 허용되는 양({size}픽셀 기준 그림 수 × 단계 수 {limit})보다 많습니다. 그림 수나 "
                                 "단계 수, 크기를 줄이세요.", images=self.num_images, steps=steps, width=width, height=height,
                                 limit=MAX_WORK, size=limits.default_size)
        prompt, style = self._split_style(backend)
        return replace(self, prompt=prompt, model=backend.name, steps=steps, guidance=guidance, width=width,
                       height=height, style=style, strength=strength)

    def _check_strength(self, backend: Model) -> Optional[float]:
        """The model's default, or the strength asked for within (0, 1]; None for a model that always starts
        from pure noise (which takes only 1, its own start)."""
        default = backend.limits.default_strength
        if default is None:
            if self.strength is not None and check_number(self.strength, "strength", 0.0, 1.0) != 1:
                raise UserInputError("strength.none", f"{backend.name} always starts from pure noise: leave the "
                                     f"strength empty or 1 (got {quote(self.strength)})", "{model}은(는) 늘 순수한 잡음에서 "
                                     "시작합니다. 강도를 비우거나 1로 두세요. 받은 값: {value}", model=backend.name,
                                     value=quote(self.strength))
            return None
        return default if self.strength is None else check_number(self.strength, "strength", MIN_STRENGTH, 1.0)

    def _split_style(self, backend: Model) -> tuple[str, Optional[str]]:
        """(prompt, style): the style control's, else a style word in the prompt (then taken out of it), else
        the model's default. A model without styles takes no style (None)."""
        styles = backend.limits.styles
        if self.style is not None and not styles:
            raise UserInputError("style.none", f"{backend.name} has no styles; leave the style empty or "
                                 f"'{STYLE_AUTO}' (got {quote(self.style)})", "{model}에는 스타일이 없습니다. 스타일을 비우거나 "
                                 f"'{STYLE_AUTO}'(으)로 두세요. 받은 값: {{value}}", model=backend.name, value=quote(self.style))
        if not styles:
            return self.prompt, None
        chosen = None if self.style is None else check_choice(self.style, "style", styles)
        prompt, named = split_style(self.prompt)
        if named and not prompt:
            raise UserInputError("style.only", f"the prompt {quote(self.prompt)} names only a style: say what to "
                                 "draw, e.g. 'red apple, openmoji style'", "프롬프트 {value}에는 스타일만 있습니다. 무엇을 "
                                 "그릴지 적어 주세요. 예: 빨간 사과, 오픈모지 스타일", value=quote(self.prompt))
        return (prompt if named else self.prompt), chosen or named or styles[0]

    @property
    def seeds(self) -> list[int]:
        """Image i's seed: each image reproduces alone from the seed shown beside it."""
        return [(self.seed + i) % 2**32 for i in range(self.num_images)]

    def settings(self) -> dict[str, Any]:
        """The fields as JSON, leaving out what does not apply to the model (style, for one without styles)."""
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class CompareRequest:
    """One prompt and seed across models × step counts × schedulers: each cell is an ImageRequest of one image."""

    prompt: str
    models: tuple[str, ...]  # checked like ImageRequest.model; at least one
    seed: int = -1  # one seed for every cell; -1 = random
    steps: tuple[Optional[int], ...] = (None,)  # step counts; None = each model's default
    schedulers: tuple[str, ...] = (MODEL_DEFAULT,)
    negative_prompt: str = ""
    guidance: Optional[float] = None  # None = each model's default

    @classmethod
    def from_user(cls, *args: Any, **sent: Any) -> "CompareRequest":
        """The comparison as sent (lists as lists, or comma-separated text), checked; each cell is checked
        against its model's limits when it runs."""
        request = cls(*args, **sent)
        models = tuple(check_model(m) for m in _check_list(request.models))
        if not models:
            raise UserInputError("list.empty", "models is empty: pick at least one model to compare",
                                 "비교할 모델이 없습니다. 모델을 하나 이상 고르세요.", name="models")
        steps = tuple(parse_int(s, "each step count") for s in _check_list(request.steps)) or (None,)
        schedulers = tuple(check_scheduler(s) for s in _check_list(request.schedulers)) or (MODEL_DEFAULT,)
        cells = len(models) * len(steps) * len(schedulers)
        if cells > MAX_COMPARE:
            raise UserInputError("compare.cells", f"{cells} combinations asked for ({len(models)} models × {len(steps)} "
                                 f"step counts × {len(schedulers)} schedulers); at most {MAX_COMPARE} fit in one grid",
                                 "조합이 {cells}개입니다(모델 {models}개 × 단계 수 {steps}개 × 스케줄러 {schedulers}개). "
                                 "격자 하나에는 최대 {limit}개까지 들어갑니다.", cells=cells, models=len(models),
                                 steps=len(steps), schedulers=len(schedulers), limit=MAX_COMPARE)
        return replace(request, models=models, steps=steps, schedulers=schedulers, seed=seed_or_random(request.seed),
                       prompt=check_prompt(request.prompt),
                       negative_prompt=check_prompt(request.negative_prompt, "negative prompt", allow_empty=True))

    def cells(self) -> list[tuple[Notice, ImageRequest]]:
        """(label, request) for each cell, models first; a label names what varies across the grid."""
        one = ImageRequest(self.prompt, self.negative_prompt, guidance=self.guidance, seed=self.seed)
        cells = []
        for model in self.models:
            for steps in self.steps:
                for scheduler in self.schedulers:
                    cells.append((self.label(model, steps, scheduler),
                                  replace(one, model=model, steps=steps, scheduler=scheduler)))
        return cells

    def label(self, model: str, steps: Optional[int], scheduler: str, run: Optional[int] = None) -> Notice:
        """A cell's label, in both languages: its model, and its steps and scheduler where those vary. `run`: how
        many of the steps the model ran, where fewer (the emoji model from its sketch: "3 of 10 steps"), since
        otherwise its pictures at 10, 25 and 50 steps differ for no reason the label gives."""
        en, ko = ["{model}"], ["{model}"]
        if len(self.steps) > 1 or steps:
            fewer = run is not None and steps is not None and run < steps
            en = en + ["{run} of {steps} steps" if fewer else "{steps} steps"]
            ko = ko + ["{steps}단계 중 {run}단계" if fewer else "{steps}단계"]
        if len(self.schedulers) > 1:
            en, ko = en + ["{scheduler}"], ko + ["{scheduler}"]
        params = dict(model=model, steps=steps, scheduler=scheduler, run=run)
        return Notice("compare.label", " · ".join(en).format(**params), " · ".join(ko), **params)


def check_prompt(value: Any, name: str = "prompt", allow_empty: bool = False) -> str:
    text = check_text(value, name, MAX_PROMPT_CHARS, allow_empty, empty_hint="describe the picture you want, e.g. 'a red heart'")
    if text and not allow_empty and not any(ch.isalnum() for ch in text):
        raise UserInputError("text.symbols", f"{name} {quote(text)} has no words, only symbols: describe the picture in "
                             "words, e.g. 'a red heart'", "{name} {value}에는 단어가 없고 기호뿐입니다. 그림을 말로 "
                             "설명해 주세요. 예: 빨간 하트", name=name, value=quote(text))
    return text


def check_model(value: Any) -> str:
    """The embedded model, the host's list, or (if allowed) a hub id or a model in GS_MODELS_DIR."""
    s = get_settings()
    return check_model_request(value, (EMBEDDED,) + s.image_models, s.custom_models, s.models_dir)


def _check_size(name: str, value: Any, limits: ModelLimits) -> int:
    """A side in the model's bounds and a multiple of its size step; None = its default."""
    size = limits.default_size if value is None else check_number(value, name, limits.min_size, limits.max_size, whole=True)
    if size % limits.size_multiple:
        raise UserInputError("size.multiple", f"{name} must be a multiple of {limits.size_multiple}, got {size}",
                             "{name}은(는) {multiple}의 배수여야 합니다. 받은 값: {value}", name=name,
                             multiple=limits.size_multiple, value=size)
    return size


def _check_list(value: Any) -> list:
    """A list from a list, a tuple, a single value or comma-separated text; [] for None or ''."""
    if value is None or isinstance(value, (str, list, tuple)):
        return split_list(value, "list", 64)
    return [value]
