"""Pieces of one mood sampled together: one KV-cache decode for many pieces, each token of each piece drawn exactly
as sampling it alone draws it (`generate.sample`).

Pieces whose openings are as long (every piece without a primer: BOS and a meter) advance in step, one token each
per pass, so their caches share one length; a piece that ends leaves the batch (its rows of the cache are dropped),
and all of them slide their window at the same step. Temperature, top-k, length, grammar and random generator stay
each piece's own. The model is batch-invariant (pipelines.common.batch_invariance), so a piece's logits, and hence
its tokens and MIDI bytes, do not depend on the pieces beside it.
"""

from __future__ import annotations

import threading
import weakref
from typing import Callable, Hashable, Optional

import torch

from pipelines.common.batching import Cancelled, Job, MicroBatcher
from pipelines.common.config import get_settings
from pipelines.common.progress import ProgressFn
from pipelines.common.seeding import cpu_generator
from pipelines.text_to_music.generate import PieceJob, Sampler, length_plan, next_token, opening
from pipelines.text_to_music.grammar import Grammar, bar_written
from pipelines.text_to_music.model import MusicGPT, StaticCache
from pipelines.text_to_music.tokens import BAR, EOS

BATCH_WAIT = 0.01  # seconds: requests sent together reach the queue a few milliseconds apart
BarFn = Callable[[int, int, int], None]  # (piece's index in the batch, bars written, bars asked)


def piece_key(job: PieceJob) -> Hashable:
    """What pieces must share to decode in step: the model, and their openings' length."""
    return job.mood, job.opening_length


@torch.inference_mode()
def sample_together(model: MusicGPT, jobs: list[PieceJob], on_bar: Optional[BarFn] = None,
                    wanted: Optional[Callable[[int], bool]] = None) -> list[Optional[list[int]]]:
    """Each job's tokens, as `sample_piece(model, job)` gives them alone. The jobs share `piece_key`. `wanted(i)`
    False drops piece i from the batch (its client left; its result is None)."""
    prompts = [opening(model, job) for job in jobs]
    plans = [length_plan(prompt, job) for prompt, job in zip(prompts, jobs)]
    grammars = [Grammar(min_bars) for min_bars, _ in plans]
    for grammar, prompt in zip(grammars, prompts):
        for token in prompt:
            grammar.advance(token)
    gens, tokens = [cpu_generator(job.seed) for job in jobs], [list(p) for p in prompts]
    done: list[Optional[list[int]]] = [None] * len(jobs)
    active, fed, window = list(range(len(jobs))), 0, model.config.block_size
    cache = StaticCache(model.config, len(jobs))
    while True:
        ending = {i for i in active if len(tokens[i]) >= plans[i][1] or (wanted is not None and not wanted(i))}
        for i in ending:
            done[i] = tokens[i] + [EOS] if wanted is None or wanted(i) else None
        active = _keep(active, cache, ending)
        if not active:
            return done
        if cache.length == 0 or fed >= window:  # as sample(): a fresh context, slid by half a window past the end
            contexts = [tokens[i][-(window // 2):] if len(tokens[i]) > window - 1 else tokens[i] for i in active]
            cache.length = 0
            logits, _, _ = model(torch.tensor(contexts), cache=cache)
            fed = len(contexts[0])
        else:
            logits, _, _ = model(torch.tensor([[tokens[i][-1]] for i in active]), cache=cache)
            fed += 1
        ending = set()
        for row, i in enumerate(active):
            job, grammar = jobs[i], grammars[i]
            token = next_token(logits[row, -1], grammar, job.temperature, job.top_k, gens[i])
            if token == EOS or (token == BAR and grammar.bars >= plans[i][0]):
                done[i] = tokens[i] + [EOS]
                ending.add(i)
                continue
            tokens[i].append(token)
            grammar.advance(token)
            if token == BAR and on_bar is not None:
                on_bar(i, grammar.bars, plans[i][0])
        active = _keep(active, cache, ending)


def _keep(active: list[int], cache: StaticCache, ending: set[int]) -> list[int]:
    """The pieces still decoding; the cache keeps only their rows."""
    if not ending:
        return active
    rows = [row for row, i in enumerate(active) if i not in ending]
    if rows:
        cache.keep(torch.tensor(rows))
    return [active[row] for row in rows]


# -- the queue in front of each model ---------------------------------------------------------------------
_batchers: "weakref.WeakKeyDictionary[MusicGPT, MicroBatcher]" = weakref.WeakKeyDictionary()
_batchers_lock = threading.Lock()


def batcher_for(model: MusicGPT) -> MicroBatcher:
    """The queue in front of `model` (one worker thread each), made on first use."""
    with _batchers_lock:
        if model not in _batchers:
            settings, held = get_settings(), weakref.ref(model)  # (not the model itself: the entry would never go)
            _batchers[model] = MicroBatcher(lambda key, jobs: run_jobs(held(), jobs), settings.max_batch, BATCH_WAIT,
                                            name="music model", workers=settings.model_workers)
        return _batchers[model]


def run_jobs(model: MusicGPT, jobs: list[Job]) -> list[Optional[list[int]]]:
    """A batch from the queue: progress as bars are written; a piece whose client left is dropped."""
    def on_bar(i: int, bars: int, asked: int) -> None:
        jobs[i].report(bars / max(asked, 1), bar_written(bars, asked))

    results = sample_together(model, [job.item for job in jobs], on_bar, wanted=lambda i: not jobs[i].cancelled)
    if all(job.cancelled for job in jobs):
        raise Cancelled
    return results


def in_process(model: MusicGPT) -> Sampler:
    """Sample a job in this process's queue for `model`, with the requests that arrive with it."""

    def sample_job(job: PieceJob, progress: Optional[ProgressFn] = None) -> list[int]:
        return batcher_for(model).submit(piece_key(job), job, 1, progress)

    return sample_job


def sampler_for(model: MusicGPT) -> Sampler:
    """The app's sampler: the Ray Serve deployment where GS_RAY_ADDRESS names a cluster (its replica loads
    `job.mood`'s model), else this process's queue; back to this process when the cluster does not answer."""
    from pipelines.common.serving import remote_or_local

    local = in_process(model)

    def sample_job(job: PieceJob, progress: Optional[ProgressFn] = None) -> list[int]:
        return remote_or_local("music", job, lambda: local(job, progress), progress)[0]

    return sample_job
