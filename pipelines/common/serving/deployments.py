"""The models as Ray Serve deployments: the emoji model and the music models, each its own application.

    serve run pipelines.common.serving.deployments:emoji_app      # or: serve deploy serve.yaml (README)

The app's bridge deploys them itself when they are not running (`deploy`), with the app's GS_* settings passed
to the replicas. Each replica loads its model once and draws with the very code the app uses in-process
(EmojiBackend.draw_many, batched.sample_together), so a seed gives the same picture or piece either way.
`@serve.batch` collects the requests a replica receives within 10 ms, up to GS_MAX_BATCH images or pieces.
Replicas spread over the cluster's machines; one given a GPU (ray_actor_options num_gpus) moves the emoji model
onto it. Autoscaling adds replicas while each has more than `target_ongoing_requests` waiting.
"""

from __future__ import annotations

import asyncio
import os

from ray import serve

from pipelines.common.batching import in_groups
from pipelines.common.config import REPO_ROOT, get_settings
from pipelines.common.torch_setup import configure_torch

APPS = {"emoji": ("gs-emoji", "EmojiModel"), "music": ("gs-music", "MusicSampler")}  # key: (application, deployment)
BATCH_WAIT = 0.01  # seconds a replica collects requests for one pass
# Add a replica while each has more than this many requests waiting: a full batch of 4-image requests and more.
AUTOSCALING = {"min_replicas": 1, "max_replicas": 8, "target_ongoing_requests": 16}


def _images(requests) -> int:
    return sum(len(request.seeds) for request in requests)


@serve.deployment(name="EmojiModel", ray_actor_options={"num_cpus": 1}, max_ongoing_requests=64,
                  autoscaling_config=AUTOSCALING)
class EmojiModel:
    def __init__(self) -> None:
        import ray

        from pipelines.text_to_image.backends import EmojiBackend

        configure_torch()
        self.backend = EmojiBackend(get_settings().emoji_model)
        if ray.get_gpu_ids():  # this replica was given a GPU: draw there (bit-exact only on a CPU: batch_invariance)
            self.backend.pipe.to("cuda")

    @serve.batch(max_batch_size=get_settings().max_batch, batch_wait_timeout_s=BATCH_WAIT, batch_size_fn=_images)
    async def __call__(self, requests: list) -> list:
        return await asyncio.to_thread(self.backend.draw_many, requests)


@serve.deployment(name="MusicSampler", ray_actor_options={"num_cpus": 1}, max_ongoing_requests=64,
                  autoscaling_config=AUTOSCALING)
class MusicSampler:
    def __init__(self) -> None:
        configure_torch()

    @serve.batch(max_batch_size=get_settings().max_batch, batch_wait_timeout_s=BATCH_WAIT)
    async def __call__(self, jobs: list) -> list:
        return await asyncio.to_thread(sample_many, jobs)


def sample_many(jobs: list) -> list:
    """Pieces of any moods (a Serve batch): those that can decode in step, together."""
    from pipelines.text_to_music.batched import piece_key, sample_together
    from pipelines.text_to_music.pipeline import get_music_model

    out: list = [None] * len(jobs)
    for group in in_groups([piece_key(job) for job in jobs], [1] * len(jobs), get_settings().max_batch):
        model = get_music_model(jobs[group[0]].mood)
        for i, tokens in zip(group, sample_together(model, [jobs[i] for i in group])):
            out[i] = tokens
    return out


def replica_environment() -> dict:
    """The app's settings for its replicas (they read GS_* as the app does), and where the code is: the same path
    on every node (one container image for the cluster)."""
    env = {key: value for key, value in os.environ.items()
           if key.startswith(("GS_", "HF_")) and key != "GS_RAY_ADDRESS"}
    return {"env_vars": {**env, "PYTHONPATH": str(REPO_ROOT)}}


emoji_app = EmojiModel.bind()  # `serve run …:emoji_app` / a serve.yaml's import_path
music_app = MusicSampler.bind()


def deploy() -> dict:
    """Handles to both deployments, after deploying those that are not running (with the app's settings)."""
    from ray.serve.schema import ApplicationStatus

    serve.start(proxy_location="Disabled")  # the app calls through handles: no HTTP proxies (a no-op if Serve runs)
    running = serve.status().applications
    handles = {}
    for key, (app, deployment) in APPS.items():
        status = running.get(app)
        if status is None or status.status in (ApplicationStatus.DEPLOY_FAILED, ApplicationStatus.UNHEALTHY):
            options = dict(ray_actor_options={"num_cpus": 1, "runtime_env": replica_environment()})
            target = (EmojiModel if key == "emoji" else MusicSampler).options(**options).bind()
            serve.run(target, name=app, route_prefix=None)
        handles[key] = serve.get_deployment_handle(deployment, app_name=app)
    return handles
