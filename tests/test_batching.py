"""Requests that share a forward pass (#22): the queue in front of each model, and results that do not depend on
what a request was batched with: the same seed gives the same picture or piece, byte for byte, alone and in a batch."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest
import torch

from pipelines.common.batch_invariance import make_batch_invariant
from pipelines.common.batching import MicroBatcher, in_groups
from pipelines.common.dcgan.model import DCGANConfig, Generator
from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline, build_components
from pipelines.common.emoji_diffusion.prior import LayoutPrior
from pipelines.latent_lab.pipeline import EditRequest, LatentLab, SamplesRequest
from pipelines.text_to_image.backends import EMBEDDED, get_backend
from pipelines.text_to_image.batched import draw_together
from pipelines.text_to_image.request import ImageRequest
from pipelines.text_to_music import batched as music
from pipelines.text_to_music.generate import piece_job, sample_piece
from pipelines.text_to_music.model import GPTConfig, MusicGPT
from pipelines.text_to_music.tokens import Note, Piece


def together(fn, items, workers=None):
    """fn(item) for every item at the same moment, from as many threads."""
    start = threading.Barrier(len(items))

    def call(item):
        start.wait()
        return fn(item)

    with ThreadPoolExecutor(workers or len(items)) as pool:
        return list(pool.map(call, items))


# -- the queue ----------------------------------------------------------------------------------------
def echo_batcher(max_size=8, wait=0.05, seconds=0.0):
    calls = []

    def run(key, jobs):
        calls.append((key, [job.item for job in jobs]))
        time.sleep(seconds)
        return [(key, job.item) for job in jobs]

    return MicroBatcher(run, max_size=max_size, wait=wait), calls


def test_requests_arriving_together_share_a_pass_by_key_and_each_gets_its_own_result():
    batcher, calls = echo_batcher()
    items = [("a", 1), ("b", 2), ("a", 3), ("a", 4), ("b", 5)]
    results = together(lambda kv: batcher.submit(kv[0], kv[1]), items)
    assert results == items  # each caller its own answer
    assert sorted(len(batch) for _, batch in calls) == [2, 3] and {key for key, _ in calls} == {"a", "b"}


def test_a_batch_holds_at_most_max_size_and_the_oldest_request_leads_the_next():
    calls, release = [], threading.Event()

    def run(key, jobs):
        calls.append((key, [job.item for job in jobs]))
        release.wait()  # the first pass lasts until the others wait behind it
        return [None] * len(jobs)

    batcher = MicroBatcher(run, max_size=4, wait=0.0)
    threads = [threading.Thread(target=batcher.submit, args=("x", "first"))]
    threads[0].start()
    while not calls:
        time.sleep(0.01)
    for key, item, size in [("y", "y1", 1), ("x", "x1", 3), ("x", "x2", 2), ("y", "y2", 3)]:  # "y1" the oldest
        threads.append(threading.Thread(target=batcher.submit, args=(key, item, size)))
        threads[-1].start()
        while len(batcher._pending) < len(threads) - 1:
            time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join()
    assert calls == [("x", ["first"]), ("y", ["y1", "y2"]), ("x", ["x1"]), ("x", ["x2"])]  # 3 + 2 > 4: apart


def test_errors_reach_their_own_callers_and_the_worker_lives_on():
    def run(key, jobs):
        if key == "broken":
            raise RuntimeError("the model failed")
        return [ValueError("bad item") if job.item == "bad" else job.item for job in jobs]

    batcher = MicroBatcher(run, wait=0.05)
    outcomes = together(lambda kv: _outcome(lambda: batcher.submit(*kv)), [("ok", "good"), ("ok", "bad"), ("broken", 1)])
    assert outcomes == ["good", "ValueError: bad item", "RuntimeError: the model failed"]
    assert batcher.submit("ok", "after") == "after"


def _outcome(fn):
    try:
        return fn()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def test_progress_is_reported_in_the_callers_thread_and_a_callback_that_raises_cancels_its_job():
    seen, threads = [], set()

    def run(key, jobs):
        for step in range(1, 6):
            for job in jobs:
                job.report(step / 5, f"step {step}")
            time.sleep(0.08)
        return [job.cancelled for job in jobs]

    batcher = MicroBatcher(run, wait=0.05)

    def watching(fraction, text):
        threads.add(threading.current_thread().name)
        seen.append(text)

    class Gone(Exception):
        pass

    def leaving(fraction, text):
        if fraction > 0.5:  # the client goes away part way
            raise Gone

    def call(progress):
        try:
            return batcher.submit("k", None, progress=progress)
        except Gone:
            return "left"

    stayed, left = together(call, [watching, leaving])
    assert stayed is False and left == "left" and seen and "batch" not in " ".join(threads)


def test_sixteen_simultaneous_requests_are_served_fairly():
    """The slowest of sixteen waits no more than about twice the median (4 images each, 32 a pass)."""
    def run(key, jobs):
        time.sleep(0.02 * sum(job.size for job in jobs))  # a pass costs its images
        return [None] * len(jobs)

    batcher = MicroBatcher(run, max_size=32, wait=0.01)

    def timed(_):
        start = time.monotonic()
        batcher.submit("k", None, size=4)
        return time.monotonic() - start

    waits = together(timed, range(16))
    assert max(waits) <= 2.2 * statistics.median(waits), waits
    assert batcher.batches <= 3  # two full passes, or a first one that left before all sixteen were in


def test_two_workers_share_the_waiting_requests_and_run_their_passes_at_once():
    lock, running, most, passes = threading.Lock(), [0], [0], []

    def run(key, jobs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            passes.append(sum(job.size for job in jobs))
        time.sleep(0.3)
        with lock:
            running[0] -= 1
        return [None] * len(jobs)

    batcher = MicroBatcher(run, max_size=32, wait=0.05, workers=2)
    together(lambda _: batcher.submit("k", None, size=4), range(4))
    assert most[0] == 2 and sorted(passes) == [8, 8]  # 16 images: half each, side by side


def test_in_groups_splits_a_serve_batch_by_key_and_size():
    assert in_groups(["a", "b", "a", "a", "b"], [2, 1, 2, 1, 1], 4) == [[0, 2], [1, 4], [3]]
    assert in_groups(["a", "a"], [9, 1], 4) == [[0], [1]]  # one larger than a pass goes alone


# -- the same picture alone and in a batch --------------------------------------------------------------------
def tiny_emoji(prior=True):
    torch.manual_seed(0)
    unet, vae, scheduler = build_components(channels=(32, 32, 32), vae_channels=(8, 8, 8), attention_head_dim=8)
    pipe = EmojiDiffusionPipeline(unet=unet, vae=vae, scheduler=scheduler, prior=LayoutPrior(width=32, depth=1) if prior else None,
                                  max_words=4, strength=0.5 if prior else 1.0)
    pipe.set_progress_bar_config(disable=True)
    pipe.encode_prompt = lambda prompts: torch.stack([_keys(p) for p in prompts])  # no sentence encoder needed
    make_batch_invariant(pipe.unet, pipe.vae, pipe.prior)
    return pipe


def _keys(prompt: str) -> torch.Tensor:
    return torch.randn(5, 512, generator=torch.Generator().manual_seed(sum(map(ord, prompt))))


def emoji_request(prompt, seed, n, style="noto", negative=""):
    return ImageRequest(prompt=prompt, negative_prompt=negative, steps=4, guidance=3.0, width=64, height=64, seed=seed,
                        num_images=n, style=style, strength=0.5)


def test_a_tiny_emoji_models_pictures_are_the_same_bytes_alone_and_in_any_batch():
    pipe = tiny_emoji()
    requests = [emoji_request("red apple", 1, 3), emoji_request("cat face", 7, 1, "openmoji", negative="blue"),
                emoji_request("rocket", 9, 4, "fluent_3d"), emoji_request("sun", 2, 2, "twemoji")]
    scheduler = pipe.scheduler
    batched = draw_together(pipe, scheduler, requests)
    for request, images in zip(requests, batched):
        alone = draw_together(pipe, scheduler, [request])[0]
        assert [np.asarray(a).tobytes() for a in alone] == [np.asarray(b).tobytes() for b in images]
        one = draw_together(pipe, scheduler, [replace(request, seed=request.seed + request.num_images - 1, num_images=1)])
        assert np.array_equal(np.asarray(one[0][0]), np.asarray(images[-1]))  # the last image alone, from its seed
    assert not np.array_equal(np.asarray(batched[0][0]), np.asarray(batched[0][1]))  # seeds differ


def test_the_shipped_emoji_model_draws_the_same_bytes_for_simultaneous_requests_as_alone():
    backend = get_backend(EMBEDDED)
    asked = [("red apple", 1, 4, None), ("cat face", 7, 1, "openmoji"), ("빨간 하트", 3, 2, "twemoji"), ("rocket", 9, 3, None)]
    requests = [ImageRequest.from_user(prompt=p, seed=s, num_images=n, style=st, steps=10).for_model(backend)
                for p, s, n, st in asked]
    alone = [backend.generate(r).images for r in requests]
    batches = backend.batcher.batches
    at_once = together(lambda r: backend.generate(r).images, requests)
    assert backend.batcher.batches - batches < len(requests)  # some shared a pass
    for a, b in zip(alone, at_once):
        assert [np.asarray(x).tobytes() for x in a] == [np.asarray(y).tobytes() for y in b]


# -- the same piece alone and in a batch ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_gpt():
    torch.manual_seed(0)
    model = MusicGPT(GPTConfig(block_size=64, n_layer=2, n_head=2, n_embd=32, dropout=0.0)).eval()
    make_batch_invariant(model)
    return model


def test_pieces_sampled_together_are_the_tokens_sampled_alone(tiny_gpt):
    """Different seeds, temperatures, top-k, lengths (some past the 64-token window) and meters in one decode."""
    jobs = [piece_job(seconds, 120, temperature, top_k, seed, meter=meter, mood="calm")
            for seconds, temperature, top_k, seed, meter in [(4, 0.9, 0, 1, None), (12, 1.2, 5, 2, None),
                                                              (2, 0.5, 0, 3, "3/4"), (8, 0.9, 10, 4, None)]]
    together_tokens = music.sample_together(tiny_gpt, jobs)
    assert [sample_piece(tiny_gpt, job) for job in jobs] == together_tokens
    assert len({tuple(t) for t in together_tokens}) == len(jobs) and max(map(len, together_tokens)) > 64


def test_the_music_queue_batches_pieces_of_one_opening_and_each_is_its_own(tiny_gpt):
    primer = Piece("4/4", [], [Note(4 * i, 4, 60 + i) for i in range(6)])
    jobs = [piece_job(6, 120, 0.9, 0, seed, mood="calm") for seed in range(6)]
    jobs.append(piece_job(6, 120, 0.9, 0, 99, primer=primer, mood="calm"))  # a longer opening: its own pass
    sampler = music.in_process(tiny_gpt)
    queue = music.batcher_for(tiny_gpt)
    batches = queue.batches
    tokens = together(lambda job: sampler(job, None), jobs)
    assert tokens == [sample_piece(tiny_gpt, job) for job in jobs]
    assert queue.batches - batches < len(jobs)


# -- the Latent Lab's generators --------------------------------------------------------------------------------
def test_latent_samples_and_edits_are_the_same_alone_and_together():
    torch.manual_seed(0)
    generator = Generator(DCGANConfig(z_dim=16, image_size=16, base_size=4, channels=3, ngf=8))
    make_batch_invariant(generator)
    lab = LatentLab(generator)
    asks = [SamplesRequest(seed=s, count=c) for s, c in ((0, 3), (10, 1), (20, 5))] + [EditRequest(seed=4)]

    def run(request):
        images = lab.samples(request).images if isinstance(request, SamplesRequest) else [lab.edit(request)]
        return [np.asarray(image).tobytes() for image in images]

    alone = [run(request) for request in asks]
    assert together(run, asks) == alone
