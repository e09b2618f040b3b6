"""The emoji model's requests drawn together: different prompts, negative prompts, styles, seeds and numbers of
images in one pass, where their steps, guidance, size, start and scheduler agree (`batch_key`).

Used by the in-process queue (backends.EmojiBackend, through pipelines.common.batching) and by the Ray Serve
deployment (pipelines.common.serving), so a request draws the same way on either. Each request is encoded alone
(its prompt keys as drawing it alone would), each image starts from its own seed's noise, and the model is
batch-invariant (pipelines.common.batch_invariance): the pictures are the bytes that drawing the request alone gives.
"""

from __future__ import annotations

from typing import Callable, Hashable, Optional

import torch
from PIL import Image

from pipelines.common.seeding import cpu_generator
from pipelines.text_to_image.request import ImageRequest

StepFn = Callable[[int, int], None]  # (step just done, counting from 1; steps run)


def batch_key(request: ImageRequest) -> Hashable:
    """What requests must share to be drawn in one pass (a complete request: `ImageRequest.for_model`'s)."""
    return (request.steps, request.guidance, request.width, request.height, request.strength, request.scheduler)


def draw_together(pipe, scheduler, requests: list[ImageRequest],
                  on_step: Optional[StepFn] = None) -> list[list[Image.Image]]:
    """Each request's images (one list per request, in order), all drawn in one call of `pipe` with `scheduler`.
    The requests share `batch_key`; the caller holds the pipeline (its scheduler is set here)."""
    first = requests[0]
    counts = [len(r.seeds) for r in requests]
    embeds = torch.cat([pipe.encode_prompt([r.prompt]).repeat_interleave(n, dim=0) for r, n in zip(requests, counts)])
    uncond = torch.cat([(pipe.encode_prompt([r.negative_prompt]) if r.negative_prompt else pipe.empty_embeds(1))
                        .expand(n, -1, -1) for r, n in zip(requests, counts)])

    def step(pipeline, i, t, kwargs):
        if on_step is not None:
            on_step(i + 1, kwargs["steps"])  # fewer than the steps asked where denoising starts from the prior's sketch

    pipe.scheduler = scheduler
    out = pipe(prompt_embeds=embeds, negative_prompt_embeds=uncond, style=[r.style for r, n in zip(requests, counts)
                                                                           for _ in range(n)],
               num_inference_steps=first.steps, guidance_scale=first.guidance, height=first.height, width=first.width,
               strength=first.strength,  # None only without a prior: the pipeline then runs all steps
               generator=[cpu_generator(seed) for r in requests for seed in r.seeds], callback_on_step_end=step)
    images, start = list(out.images), 0
    split = []
    for n in counts:
        split.append(images[start:start + n])
        start += n
    return split
