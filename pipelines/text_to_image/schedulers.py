"""The schedulers a user can pick, for both SD and the embedded model, by short name."""

from __future__ import annotations

from typing import Any, Literal

from pipelines.common.korean import korean_names
from pipelines.common.validation import check_choice

# Only deterministic samplers: each image then depends on its own seed alone, so the seed shown
# beside an image reproduces it even when it was made in a batch (ancestral samplers share noise).
# short name → diffusers class name, with the extra settings that make it what users expect
SCHEDULERS: dict[str, tuple[str, dict[str, Any]]] = {
    "ddim": ("DDIMScheduler", {"clip_sample": False, "set_alpha_to_one": False, "timestep_spacing": "trailing"}),
    "euler": ("EulerDiscreteScheduler", {"timestep_spacing": "trailing"}),
    "dpm++": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "timestep_spacing": "trailing"}),
    "pndm": ("PNDMScheduler", {"skip_prk_steps": True, "timestep_spacing": "trailing"}),
}
MODEL_DEFAULT = "default"  # scheduler choice: the model's own
SCHEDULER_CHOICES = (MODEL_DEFAULT,) + tuple(SCHEDULERS)
SchedulerChoice = Literal[SCHEDULER_CHOICES]  # the API schema lists them
korean_names({"scheduler": "스케줄러"})


def check_scheduler(value: Any) -> str:
    """The one check of a scheduler a request names: one of SCHEDULER_CHOICES, else a sentence listing them."""
    return check_choice(value, "scheduler", SCHEDULER_CHOICES)


def make_scheduler(name: str, base_config: dict[str, Any]):
    """A fresh scheduler of kind `name` (a key of SCHEDULERS: requests are checked before) built on a model's
    own scheduler config."""
    import diffusers

    class_name, extra = SCHEDULERS[name]
    cls = getattr(diffusers, class_name)
    return cls.from_config({**dict(base_config), **extra})
