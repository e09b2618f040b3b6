"""The registry: family keys → classes, and where each checkpoint lives (GS_LEARN_MODELS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.common.config import get_settings
from pipelines.common.korean import korean_names
from pipelines.common.validation import CHOICE_KO, Notice, UserInputError, quote
from pipelines.learn.autoencoder import Autoencoder
from pipelines.learn.base import Family
from pipelines.learn.classifier import Classifier
from pipelines.learn.diffusion import Diffusion
from pipelines.learn.gan import DCGAN, GAN
from pipelines.learn.pixel import PixelModel
from pipelines.learn.vae import VAE

# The generative families, in the order the tab shows them (simplest first).
FAMILIES: dict[str, type[Family]] = {cls.key: cls for cls in (PixelModel, Autoencoder, VAE, GAN, DCGAN, Diffusion)}
# Everything the training script can train: the families and the measuring classifier.
TRAINABLE: dict[str, type[Family]] = {**FAMILIES, Classifier.key: Classifier}
LATENT_FAMILIES = ("autoencoder", "vae")  # the ones with a 2-D map to click
korean_names({"family": "모델 종류"})
# Each family's name as people read it, in English and Korean (progress, verdicts, the page's pickers and table).
FAMILY_NAMES = {key: Notice(f"family.{key}", english, korean) for key, (english, korean) in {
    "pixel": ("Per-pixel", "픽셀별"), "autoencoder": ("Autoencoder", "오토인코더"), "vae": ("VAE", "VAE"),
    "gan": ("GAN (vanilla)", "GAN (기본)"), "dcgan": ("DCGAN", "DCGAN"), "diffusion": ("Diffusion", "확산")}.items()}


def check_family(key: Any, allowed: tuple[str, ...] | dict = FAMILIES) -> str:
    if not isinstance(key, str) or key not in allowed:
        raise UserInputError("choice", f"unknown family {str(key)[:80]!r}; choose one of: {', '.join(allowed)}", CHOICE_KO,
                             name="family", choices=", ".join(allowed), value=quote(key))
    return key


def checkpoint_dir(family: str, dataset: str) -> Path:
    """Where `family`'s checkpoint for `dataset` lives: <GS_LEARN_MODELS>/<dataset>/<family>."""
    return Path(get_settings().learn_models) / dataset / family
