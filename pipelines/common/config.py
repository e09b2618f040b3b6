"""Every setting the app reads from the environment, in one place.

Each field documents its variable and default; the README's "Configuration"
table mirrors this file. Settings are read once per process (`get_settings`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSETS_DIR = REPO_ROOT / "assets"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not an integer") from None


@dataclass(frozen=True)
class Settings:
    # GS_DATA_DIR: where the app writes what it keeps (SQLite stats, caches). Created on first use. Default: a
    # Space's persistent storage (/data) where one is mounted, else ./data (see default_data_dir).
    data_dir: Path
    # GS_DEVICE: where the generators run: "cpu" (default: they are small, and on a ZeroGPU Space CUDA
    # exists only inside @spaces.GPU calls), "cuda", or "auto" (CUDA when available).
    device: str
    # GS_TORCH_THREADS: intra-op threads for torch on CPU. 1 is the default because small
    # models run many times faster with one thread on a busy 2-core machine (OpenMP spin-waits).
    torch_threads: int
    # GS_CONCURRENCY: how many requests of one endpoint run at once (Gradio's queue).
    concurrency: int
    # GS_BATCH_CONCURRENCY: how many requests of the events whose model batches (emoji pictures, composed music,
    # the Latent Lab) run at once, page and API together, per model: those waiting in the model's queue share its
    # passes, so a limit as low as GS_CONCURRENCY would leave the passes small (bench/serving.py).
    batch_concurrency: int
    # GS_MAX_BATCH: the most images (emoji model, Latent Lab) or music pieces that requests arriving together share
    # in one pass of a model (pipelines/common/batching.py); 1 runs every request by itself.
    max_batch: int
    # GS_MODEL_WORKERS: passes of one model that run at the same time, each in a thread of its own with
    # GS_TORCH_THREADS threads (on a CPU, what puts more than one core to work). Default: the CPUs this
    # process may use (usable_cpus) over GS_TORCH_THREADS, at most 4.
    model_workers: int
    # GS_RAY_ADDRESS: a Ray cluster ("auto" on one of its nodes, or its head's host:port): the emoji model and the
    # music models then run there as Ray Serve deployments (pipelines/common/serving); unset (default): in this
    # process. A cluster that cannot be reached, or is lost, leaves the work in this process (and says so in the log).
    ray_address: str
    # GS_FACE_GENERATOR: checkpoint folder of the Latent Lab's face generator.
    face_generator: str
    # GS_FASHION_GENERATOR: checkpoint folder of the Fashion-MNIST generator trained here.
    fashion_generator: str
    # GS_QUIZ_GENERATOR: checkpoint folder of the face generator adapted to the quiz's LFW crops.
    quiz_generator: str
    # GS_MUSIC_MODELS: folder holding one checkpoint folder per mood (happy/, sad/, …).
    music_models: str
    # GS_HARMONY_MODEL: checkpoint folder (or hub id) of the harmony model trained here (alto, tenor, bass under a melody).
    harmony_model: str
    # GS_MUSICGEN_MODEL: MusicGen's hub id or folder; offered in the Music tab where its weights are on the machine.
    musicgen_model: str
    # GS_MOOD_TAGGER: checkpoint folder of the mood tagger (the head over a sentence encoder) trained here.
    mood_tagger: str
    # GS_LEARN_MODELS: folder of "How models learn"'s checkpoints, one per dataset and family
    # (mnist/gan/, fashion-mnist/diffusion/, …), the measuring classifiers (<dataset>/classifier/) among them.
    learn_models: str
    # GS_FASHION_MNIST_DIR: the idx files of Fashion-MNIST (Debian's dataset-fashion-mnist).
    fashion_mnist_dir: Path
    # GS_STARGAN_MODEL: checkpoint folder of the emoji StarGAN trained here (image → image restyling).
    stargan_model: str
    # GS_EMOJI_MODEL: checkpoint folder of the embedded text-to-image model trained here.
    emoji_model: str
    # GS_IMAGE_MODELS: comma-separated Stable Diffusion models offered in the picker (hub ids,
    # folders or .safetensors files), after the embedded model. Users may also type their own.
    image_models: tuple[str, ...]
    # GS_IMAGE_MODEL: the picker's first choice; default: the first SD model whose weights are
    # present on this machine, else the embedded model.
    image_model: str
    # GS_MODELS_DIR: the one folder whose SD checkpoints (diffusers folders, .safetensors files) users and
    # API clients may name by path (relative to it) when GS_CUSTOM_MODELS is 1; paths elsewhere are refused,
    # so the model box cannot be used to explore the server's disk. Default: <GS_DATA_DIR>/models.
    models_dir: Path
    # GS_CUSTOM_MODELS: 1 lets users and API clients name any hub id, folder or file as the model;
    # 0 limits them to the embedded model and GS_IMAGE_MODELS. Default: 1 locally, 0 on a Space
    # (SPACE_ID set), where a typed hub id would make the host download whatever a visitor names.
    custom_models: bool
    # GS_TRANSLATION_MODEL: Korean → English model (transformers) for English-only SD models;
    # used when its weights are present.
    translation_model: str
    # GS_TINY_VAE: the tiny autoencoder (diffusers' AutoencoderTiny, TAESD) that decodes SD 1.x/2.x latents
    # instead of the full VAE, many times faster on a CPU; used where its weights are present (or, on a
    # Space with internet, downloaded). Default: madebyollin/taesd on a Space, off elsewhere ("" = off).
    tiny_vae: str
    # GS_SAFETY_FILTER: 1 (default) keeps a pipeline's safety checker on, for the page and the API
    # alike; 0 turns it off for the whole app (the host's choice, not a request's).
    safety_filter: bool
    # GS_MAX_BODY_KB: the largest request body the server reads, uploads aside (a JSON call is a few kB; each
    # body read costs a few times its size in memory while it is parsed). Larger ones get 413 and a sentence.
    max_body_kb: int
    # GS_FILES_MAX_AGE: seconds a served file (an output, an upload) is kept before it is deleted.
    files_max_age: int
    # GS_FILES_MAX_MB: the most the app's served files may hold on disk; the oldest go first beyond it.
    files_max_mb: int
    # GS_MONITORING: 1 opens Gradio's monitoring routes (/monitoring/summary: request counts per endpoint, and
    # the dashboard, whose secret URL is printed at launch); 0 (default) closes them.
    monitoring: bool
    # GS_DATABASE_URL: the database of accounts, histories and quiz totals (SQLAlchemy URL, e.g.
    # postgresql+psycopg://user:pw@host/db, shared by every replica). Default: SQLite in GS_DATA_DIR (studio.sqlite3).
    database_url: str
    # GS_SIGN_IN: who a user is. "off" (default on a laptop): no accounts, each browser has its own history;
    # "hf" (default on a Space): Sign in with Hugging Face, anonymous use still allowed; "password": the whole app
    # asks for an account (python -m pipelines.common.accounts add NAME).
    sign_in: str
    # GS_HISTORY_MAX_ITEMS / GS_HISTORY_MAX_MB: one user's kept creations; beyond either the oldest go (and they are told).
    history_max_items: int
    history_max_mb: int
    # GS_ANON_DAYS: an anonymous history not visited for this many days is deleted.
    anon_days: int


SIGN_IN_MODES = ("off", "hf", "password")
SPACE_STORAGE = Path("/data")  # where a Hugging Face Space mounts its persistent storage, when it has some


def persistent_storage() -> bool:
    """Whether this is a Space with its persistent storage mounted (a mount point, not just a folder of that name)."""
    return bool(os.environ.get("SPACE_ID")) and os.path.ismount(SPACE_STORAGE)


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's share, where the system says; else all)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_data_dir() -> Path:
    """A Space's persistent storage when one is mounted (what is kept there survives a restart), else ./data."""
    return SPACE_STORAGE if persistent_storage() else REPO_ROOT / "data"


def data_dir_survival() -> str:
    """For the host's log at start-up: where the app keeps what it keeps, and whether that outlives a restart."""
    path = get_settings().data_dir
    if not os.environ.get("SPACE_ID"):
        return f"Data folder: {path} (kept across restarts on this machine)."
    if persistent_storage() and path.resolve().is_relative_to(SPACE_STORAGE.resolve()):
        return f"Data folder: {path}, on this Space's persistent storage: kept across restarts."
    return (f"Data folder: {path}. This Space has no persistent storage mounted at {SPACE_STORAGE}: the quiz's totals "
            "and other kept data are lost at every restart (add persistent storage in the Space's settings).")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    device = _env("GS_DEVICE", "cpu").lower()
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"GS_DEVICE={device!r} must be 'auto', 'cpu' or 'cuda'")
    sign_in = _env("GS_SIGN_IN", "hf" if os.environ.get("SPACE_ID") else "off").lower()
    if sign_in not in SIGN_IN_MODES:
        raise ValueError(f"GS_SIGN_IN={sign_in!r} must be 'off', 'hf' or 'password'")
    threads = max(1, _env_int("GS_TORCH_THREADS", 1))
    return Settings(
        data_dir=Path(_env("GS_DATA_DIR", str(default_data_dir()))).expanduser(),
        device=device,
        torch_threads=threads,
        concurrency=max(1, _env_int("GS_CONCURRENCY", 4)),
        batch_concurrency=max(1, _env_int("GS_BATCH_CONCURRENCY", 16)),
        max_batch=max(1, _env_int("GS_MAX_BATCH", 32)),
        model_workers=max(1, _env_int("GS_MODEL_WORKERS", min(4, usable_cpus() // threads))),
        ray_address=_env("GS_RAY_ADDRESS", ""),
        face_generator=_env("GS_FACE_GENERATOR", str(ASSETS_DIR / "latent" / "digiface_dcgan")),
        fashion_generator=_env("GS_FASHION_GENERATOR", str(ASSETS_DIR / "latent" / "fashion_dcgan")),
        quiz_generator=_env("GS_QUIZ_GENERATOR", str(ASSETS_DIR / "face_quiz" / "lfw_dcgan")),
        music_models=_env("GS_MUSIC_MODELS", str(ASSETS_DIR / "music" / "models")),
        harmony_model=_env("GS_HARMONY_MODEL", str(ASSETS_DIR / "music" / "harmony")),
        musicgen_model=_env("GS_MUSICGEN_MODEL", "facebook/musicgen-small"),
        mood_tagger=_env("GS_MOOD_TAGGER", str(ASSETS_DIR / "mood" / "tagger")),
        learn_models=_env("GS_LEARN_MODELS", str(ASSETS_DIR / "learn")),
        fashion_mnist_dir=Path(_env("GS_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")),
        stargan_model=_env("GS_STARGAN_MODEL", str(ASSETS_DIR / "text_to_image" / "emoji_stargan")),
        emoji_model=_env("GS_EMOJI_MODEL", str(ASSETS_DIR / "text_to_image" / "emoji_ldm")),
        image_models=tuple(m.strip() for m in _env("GS_IMAGE_MODELS", "stabilityai/sd-turbo").split(",") if m.strip()),
        image_model=_env("GS_IMAGE_MODEL", ""),
        models_dir=Path(_env("GS_MODELS_DIR", str(Path(_env("GS_DATA_DIR", str(default_data_dir()))) / "models"))).expanduser(),
        custom_models=_env("GS_CUSTOM_MODELS", "0" if os.environ.get("SPACE_ID") else "1") not in ("0", "false", "no"),
        translation_model=_env("GS_TRANSLATION_MODEL", "Helsinki-NLP/opus-mt-ko-en"),
        tiny_vae=os.environ.get("GS_TINY_VAE", "madebyollin/taesd" if os.environ.get("SPACE_ID") else "").strip(),
        safety_filter=_env("GS_SAFETY_FILTER", "1") not in ("0", "false", "no"),
        max_body_kb=max(1, _env_int("GS_MAX_BODY_KB", 1024)),
        files_max_age=max(1, _env_int("GS_FILES_MAX_AGE", 3600)),
        files_max_mb=max(1, _env_int("GS_FILES_MAX_MB", 500)),
        monitoring=_env("GS_MONITORING", "0") not in ("0", "false", "no"),
        database_url=_env("GS_DATABASE_URL", ""),
        sign_in=sign_in,
        history_max_items=max(1, _env_int("GS_HISTORY_MAX_ITEMS", 200)),
        history_max_mb=max(1, _env_int("GS_HISTORY_MAX_MB", 100)),
        anon_days=max(1, _env_int("GS_ANON_DAYS", 30)),
    )


def data_dir() -> Path:
    """The writable data directory, created on first use."""
    path = get_settings().data_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir_problem() -> str | None:
    """Why the data directory cannot be written (a sentence for the host's log at start-up), or None when it can."""
    import tempfile

    path = get_settings().data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        return (f"The data folder {path} cannot be written ({exc.strerror or exc}): the quiz's all-players totals will "
                "not be recorded. Fix its permissions or set GS_DATA_DIR to a writable folder.")
    return None
