"""The shipped harmony model, loaded once: a melody in, alto, tenor and bass out.

    harmonizer = get_harmonizer()
    lower = harmonizer.lower_voices(piece, seed=3)       # [eighths, 3] MIDI pitches (0 = rest)

The melody is moved by octaves to where the model learnt sopranos (its median near G4) and the voices
written under it are moved back, so a low melody gets a low harmony rather than one squeezed under it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch

from pipelines.common.checkpoint import load_checkpoint
from pipelines.common.config import get_settings
from pipelines.common.korean import korean_names
from pipelines.common.loading import cached_loader, resolve_model_source
from pipelines.common.seeding import cpu_generator
from pipelines.text_to_music.harmony.grid import melody_grid
from pipelines.text_to_music.harmony.model import VOCAB, HarmonyConfig, build_model, to_pitches, to_tokens
from pipelines.text_to_music.moods import MAJOR_PROFILE, MINOR_PROFILE
from pipelines.text_to_music.tokens import Piece

korean_names({"the harmony model": "화음 모델"})
LOWEST = 24  # C1: nothing lower is played
SOPRANO_CENTRE = 67  # the median soprano pitch of the training chorales (G4)
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 9, 10, 11)}  # degrees a voice may sing
KEY_STRENGTH = 1.0  # logits per standard deviation of the key profile (key_bias)
TEMPERATURE = 0.6  # a little under 1: fewer stray notes from a small model, still a new harmony per seed


class Harmonizer:
    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model

    def lower_voices(self, piece: Piece, seed: int, mode: Optional[str] = None, temperature: float = TEMPERATURE) -> np.ndarray:
        """Alto, tenor and bass [eighths, 3] under the piece's top line (MIDI pitches, 0 = rest); with `mode`
        ("major" or "minor") the voices lean to that mode's key that fits the melody best (key_bias)."""
        melody, positions = melody_grid(piece)
        bias = key_bias(piece, mode) if mode and piece.notes else None
        return self.lower_for_grid(melody, positions, seed, temperature, bias)

    def lower_for_grid(self, melody: np.ndarray, positions: np.ndarray, seed: int, temperature: float = TEMPERATURE,
                       bias: Optional[torch.Tensor] = None) -> np.ndarray:
        sounding = melody[melody > 0]
        if not len(sounding):
            return np.zeros((len(melody), 3), dtype=np.int64)
        shift = 12 * round((SOPRANO_CENTRE - float(np.median(sounding))) / 12)
        moved = torch.from_numpy(np.where(melody > 0, melody + shift, 0)).long()
        tokens = self.model.sample(to_tokens(moved).unsqueeze(0), torch.from_numpy(positions % self.model.config.positions).long().unsqueeze(0),
                                   cpu_generator(seed), temperature, bias)
        lower = to_pitches(tokens[0]).numpy()
        lower = np.where(lower > 0, lower - shift, 0)
        return np.where(lower >= LOWEST, lower, 0)  # under a melody near C2 there is no room: those notes rest


def key_bias(piece: Piece, mode: str, strength: float = KEY_STRENGTH) -> torch.Tensor:
    """[VOCAB] logits to add: of `mode`'s key that fits the melody best, its scale's notes (minor: with the raised
    sixth and seventh) weighted by the Krumhansl–Kessler profile, standardised, times `strength`; notes outside the
    scale ruled out. A small model under a minor tune drifts to a major chord on its tonic or to the relative
    major; this keeps the mood's mode audible in the whole arrangement (bench/arrangement.py measures it)."""
    profile = MAJOR_PROFILE if mode == "major" else MINOR_PROFILE
    histogram = np.zeros(12)
    for note in piece.notes:
        histogram[note.pitch % 12] += note.duration
    tonic = max(range(12), key=lambda k: float(np.corrcoef(histogram, np.roll(profile, k))[0, 1]) if histogram.std() else -k)
    weights = np.where(np.isin(np.arange(12), SCALES[mode]), strength * (profile - profile.mean()) / profile.std(), -1e4)
    pitches = to_pitches(torch.arange(VOCAB))
    by_pitch_class = torch.from_numpy(np.roll(weights, tonic)).float()
    return torch.where(pitches > 0, by_pitch_class[pitches % 12], torch.zeros(VOCAB))


def load_harmonizer(source: str | Path) -> Harmonizer:
    folder = resolve_model_source(str(source), what="the harmony model")
    return Harmonizer(load_checkpoint(folder, build_model, HarmonyConfig, what="harmony model").model)


@cached_loader
def get_harmonizer() -> Harmonizer:
    return load_harmonizer(get_settings().harmony_model)  # the model trained here (bench/harmony.py says why this one)
