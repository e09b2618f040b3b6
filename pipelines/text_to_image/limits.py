"""What the tab knows of each model: its limits (sizes, steps, guidance, styles, start), stated once.

The embedded emoji model's are known before it loads (EMOJI_LIMITS: the page's controls start from them);
a Stable Diffusion checkpoint's once it loads (backends.py fills in SD_LIMITS from its files). request.py
checks a request against a loaded model's limits and backends.py states them: both import them from
here, so neither imports the other for them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Protocol

from pipelines.common.emoji_diffusion.prior import DEFAULT_STRENGTH
from pipelines.common.emoji_diffusion.styles import STYLES

EMBEDDED = "emoji-diffusion"  # the picker's id for the embedded model


@dataclass(frozen=True)
class ModelLimits:
    default_steps: int
    default_guidance: float
    default_size: int  # pixels per side
    min_size: int
    max_size: int
    max_steps: int = 150
    max_guidance: float = 30.0
    max_prompt_tokens: int = 77  # the text encoder's window; longer prompts are cut (and the user told)
    english_only: bool = True
    styles: tuple[str, ...] = ()  # the model's drawing styles (the first is its default); () = none
    size_multiple: int = 8  # width and height must be multiples of this
    suggested_images: int = 4  # how many images the page starts with (1 for full-size SD on a CPU: a minute each)
    # The share of the schedule run from the model's own first guess (the emoji model's layout prior), as
    # img2img's strength; None = the model always starts from pure noise (strength 1, the only one it takes).
    default_strength: Optional[float] = None


class Model(Protocol):
    """What a request is checked against (a loaded backend): the model's name and its limits."""

    name: str
    limits: ModelLimits


# The embedded model as shipped: 64 px (16 × 16 latents, sides in steps of 16), from half to twice that; its
# seven styles; its layout prior's start. Its files confirm the size, styles and start when it loads.
EMOJI_LIMITS = ModelLimits(default_steps=25, default_guidance=5.0, default_size=64, min_size=32, max_size=128,
                           max_steps=200, max_guidance=20.0, english_only=False, styles=STYLES, size_multiple=16,
                           default_strength=DEFAULT_STRENGTH)
# Stable Diffusion checkpoints want ~25 steps at guidance 7; SD-Turbo was distilled for 1 step without guidance.
# Until a checkpoint loads its size is unknown: these sizes span SD 1.x to XL (each one's own, set when it loads,
# are a quarter to twice its size).
SD_LIMITS = ModelLimits(default_steps=25, default_guidance=7.0, default_size=512, min_size=64, max_size=2048)
SD_TURBO_LIMITS = replace(SD_LIMITS, default_steps=1, default_guidance=0.0)


def expected_limits(model: str) -> ModelLimits:
    """A model's limits as far as they are known before it loads (a loaded Stable Diffusion's sizes are its own)."""
    if model == EMBEDDED:
        return EMOJI_LIMITS
    return SD_TURBO_LIMITS if "turbo" in model.lower() else SD_LIMITS
