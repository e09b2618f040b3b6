"""Sampling music from a mood's GPT, and turning the piece into MIDI, audio and a piano roll.

Sampling is constrained by the token grammar (`Grammar`): every sample decodes to a
well-formed piece of the requested length. The same seed and settings give the same MIDI bytes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Callable, Optional

import torch

from pipelines.common.progress import ProgressFn, report
from pipelines.common.seeding import cpu_generator
from pipelines.common.validation import UserInputError, quote
from pipelines.text_to_music.grammar import KIND, Grammar, bar_written
from pipelines.text_to_music.model import MusicGPT, StaticCache
from pipelines.text_to_music.tokens import BAR, BOS, EOS, TIME_SIGNATURES, TOKEN_ID, Note, Piece, decode, encode

MAX_SECONDS = 60
MAX_PRIMER_TOKENS = 192


@torch.inference_mode()
def sample(
    model: MusicGPT,
    prompt: list[int],
    min_bars: int,
    max_tokens: int,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int = 0,
    use_cache: bool = True,
    progress: Optional[ProgressFn] = None,
) -> list[int]:
    """Continue `prompt` until `min_bars` bars are complete (or max_tokens). With use_cache=False
    every step recomputes the whole context (kept for the benchmark that measures the cache).
    A transformers GPT2LMHeadModel (pipelines.text_to_music.gpt2) samples through its generate()."""
    if not isinstance(model, MusicGPT):
        from pipelines.text_to_music import gpt2  # transformers loads only for that model

        return gpt2.sample(model, prompt, min_bars, max_tokens, temperature, top_k, seed, use_cache, progress)
    gen, grammar, window = cpu_generator(seed), Grammar(min_bars), model.config.block_size
    for token in prompt:
        grammar.advance(token)
    tokens, cache, fed = list(prompt), StaticCache(model.config, 1) if use_cache else None, 0
    while len(tokens) < max_tokens:
        if cache is None or cache.length == 0 or fed >= window:
            context = tokens[-(window // 2) :] if len(tokens) > window - 1 else tokens  # slide by half a window
            if cache is not None:
                cache.length = 0  # a fresh context: the cache starts again
            logits, _, _ = model(torch.tensor([context]), cache=cache)
            fed = len(context)
        else:
            logits, _, _ = model(torch.tensor([[tokens[-1]]]), cache=cache)
            fed += 1
        token = next_token(logits[0, -1], grammar, temperature, top_k, gen)
        if token == EOS or (token == BAR and grammar.bars >= min_bars):
            break
        tokens.append(token)
        grammar.advance(token)
        if token == BAR:
            report(progress, grammar.bars / max(min_bars, 1), bar_written(grammar.bars, min_bars))
    return tokens + [EOS]


def next_token(logits: torch.Tensor, grammar: Grammar, temperature: float, top_k: int, gen: torch.Generator) -> int:
    """The next token from one piece's logits, as its grammar allows (shared with batched.py's decoding, so a
    piece sampled in a batch takes exactly the steps it takes alone)."""
    logits = logits.float() / max(temperature, 1e-3)
    logits[~grammar.allowed()] = float("-inf")
    if top_k:
        kth = torch.topk(logits, min(top_k, int(torch.isfinite(logits).sum()))).values[-1]
        logits[logits < kth] = float("-inf")
    return int(torch.multinomial(torch.softmax(logits, -1), 1, generator=gen))


NOTE_NAME = re.compile(r"^([A-Ga-g])([#b]?)(-?[0-9])$")  # ASCII digits: int() would also take "١"
SEMITONE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def parse_typed_notes(text: str, time_signature: str = "4/4") -> Piece:
    """'C4 E4 G4' → a piece of quarter notes, one after another."""
    names = text.replace(",", " ").split()
    if not names:
        raise UserInputError("music.no_notes", "type a few notes such as 'C4 E4 G4', or leave the primer empty",
                             "'C4 E4 G4'처럼 음을 몇 개 적거나, 프라이머를 비워 두세요.")
    if len(names) > 32:
        raise UserInputError("music.notes_long", f"{len(names)} typed notes; at most 32 are used as a primer",
                             "입력한 음이 {count}개입니다. 프라이머로는 최대 {limit}개까지 씁니다.", count=len(names), limit=32)
    notes = []
    for i, name in enumerate(names):
        match = NOTE_NAME.match(name)
        if not match:
            raise UserInputError("music.note", f"{quote(name)} is not a note: write a letter, an optional # or b, and an octave, e.g. C4, F#3, Bb4",
                                 "{value}은(는) 음이 아닙니다. 음이름, 필요하면 # 또는 b, 옥타브를 차례로 쓰세요. 예: C4, F#3, Bb4",
                                 value=quote(name))
        letter, accidental, octave = match.groups()
        pitch = 12 * (int(octave) + 1) + SEMITONE[letter.upper()] + {"#": 1, "b": -1, "": 0}[accidental]
        notes.append(Note(4 * i, 4, pitch))
    return Piece(time_signature, [], notes)


def primer_tokens(piece: Piece) -> list[int]:
    """The primer's tokens without EOS, cut to whole bars within MAX_PRIMER_TOKENS."""
    if piece.time_signature not in TIME_SIGNATURES:
        piece = Piece("4/4", [], piece.notes)
    ids = encode(piece)[:-1]
    if len(ids) > MAX_PRIMER_TOKENS:
        bars = [i for i, t in enumerate(ids[:MAX_PRIMER_TOKENS]) if t == BAR]
        ids = ids[: bars[-1]] if len(bars) > 1 else ids[:MAX_PRIMER_TOKENS]
        while ids and KIND[ids[-1]] in ("POS", "PITCH"):  # never end mid-note
            ids.pop()
    return ids


@dataclass
class Sampled:
    piece: Piece
    tokens: list[int]
    seconds: float  # time taken to sample


@dataclass(frozen=True)
class PieceJob:
    """One piece to sample, as `generate_piece` was asked for it: what the batched decoding (batched.py) and a Ray
    Serve replica take. Checked already (the tab's `MusicRequest`)."""

    prompt: tuple[int, ...]  # the primer's tokens, or BOS and the meter; BOS alone when the model picks the meter
    seconds: float
    tempo: int
    temperature: float = 0.9
    top_k: int = 0
    seed: int = 0
    mood: str = ""  # whose model: a Serve replica loads it by this name

    @property
    def opening_length(self) -> int:
        """The prompt's length once the meter is picked: pieces of one length decode in step together."""
        return max(len(self.prompt), 2)


Sampler = Callable[[PieceJob, Optional[ProgressFn]], list[int]]  # a job's tokens, sampled somewhere


def piece_job(seconds: float, tempo: int, temperature: float = 0.9, top_k: int = 0, seed: int = 0,
              primer: Optional[Piece] = None, meter: Optional[str] = None, mood: str = "") -> PieceJob:
    if primer is not None and primer.notes:
        prompt = primer_tokens(primer)
    else:  # a meter given, or BOS alone: the model picks one (`opening`)
        prompt = [BOS, TOKEN_ID[f"TS_{meter}"]] if meter else [BOS]
    return PieceJob(tuple(prompt), seconds, tempo, temperature, top_k, seed, mood)


def opening(model: MusicGPT, job: PieceJob) -> list[int]:
    """The tokens sampling continues: the job's prompt, or BOS and a meter the model picks itself (as its training
    pieces do), drawn with the job's seed."""
    if len(job.prompt) > 1:
        return list(job.prompt)
    with torch.inference_mode():
        logits = model(torch.tensor([[BOS]]))[0]  # model.py's tuple or transformers' output: the logits come first
    allowed = torch.from_numpy(KIND == "TS")
    probs = torch.softmax(logits[0, -1].float().masked_fill(~allowed, float("-inf")), -1)
    return [BOS, int(torch.multinomial(probs, 1, generator=cpu_generator(job.seed)))]


def length_plan(prompt: list[int], job: PieceJob) -> tuple[int, int]:
    """(bars to write, most tokens to take) for about `job.seconds` at `job.tempo` in the prompt's meter."""
    grammar = Grammar(0)
    for token in prompt:
        grammar.advance(token)
    min_bars = max(1, round(job.seconds * job.tempo / 60 * 4 / grammar.bar_length))
    return min_bars, len(prompt) + (min_bars + 1) * grammar.max_tokens_per_bar()  # enough for the densest bars


def sample_piece(model: MusicGPT, job: PieceJob, progress: Optional[ProgressFn] = None) -> list[int]:
    """A job's tokens, sampled alone."""
    prompt = opening(model, job)
    min_bars, budget = length_plan(prompt, job)
    return sample(model, prompt, min_bars, budget, job.temperature, job.top_k, job.seed, progress=progress)


def generate_piece(
    model: MusicGPT, seconds: float, tempo: int, temperature: float = 0.9, top_k: int = 0, seed: int = 0,
    primer: Optional[Piece] = None, meter: Optional[str] = None, progress: Optional[ProgressFn] = None,
    sampler: Optional[Sampler] = None, mood: str = "",
) -> Sampled:
    """Sample a piece of about `seconds` at `tempo`. With no primer the piece opens with `meter`, or,
    when that is None, with a meter the model picks itself (as its training pieces do). `sampler` (the app's:
    batched with other requests, or on a Ray cluster; batched.py) samples it instead of this thread, the same way.

    The values are trusted: the tab's `MusicRequest` (pipeline.py) has checked them where they came in."""
    job = piece_job(seconds, tempo, temperature, top_k, seed, primer, meter, mood)
    start = time.perf_counter()
    tokens = sampler(job, progress) if sampler is not None else sample_piece(model, job, progress)
    return Sampled(decode(tokens), tokens, time.perf_counter() - start)
