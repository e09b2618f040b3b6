"""The five moods and their musical signatures, as code.

Used twice: to label the corpus (`label_piece`) and to check generated music (`check_piece`,
used by bench/music.py and the tests).
Each signature gives the mode a key-finding algorithm should report, and ranges for tempo,
note density, register and melodic intervals, plus the meters typical of the mood.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from pipelines.text_to_music.tokens import Piece

MOODS = ("happy", "sad", "calm", "tense", "triumphant")
KOREAN = {"happy": "행복", "sad": "슬픔", "calm": "평온", "tense": "긴장", "triumphant": "웅장"}


@dataclass(frozen=True)
class MoodSignature:
    mood: str
    mode: str  # "major" or "minor": what Krumhansl–Schmuckler key finding should report
    tempo: tuple[int, int]  # quarter-note BPM; generation defaults to the middle
    density: tuple[float, float]  # note onsets per quarter note
    register: tuple[int, int]  # median MIDI pitch of the melody (highest note of each onset)
    interval: tuple[float, float]  # mean absolute melodic step, in semitones
    meters: tuple[str, ...]  # typical time signatures
    program: int  # default General MIDI instrument (0-based)

    @property
    def default_tempo(self) -> int:
        return round(sum(self.tempo) / 2)


SIGNATURES = {
    s.mood: s
    for s in (
        MoodSignature("happy", "major", (112, 152), (1.6, 4.0), (64, 80), (1.5, 4.0), ("6/8", "2/4", "12/8", "9/8", "4/4", "2/2"), 0),
        MoodSignature("sad", "minor", (56, 84), (0.5, 1.9), (55, 72), (1.0, 3.0), ("3/4", "4/4", "6/8"), 42),
        MoodSignature("calm", "major", (60, 88), (0.5, 1.6), (58, 74), (1.0, 3.0), ("3/4", "6/8", "4/4", "3/8"), 46),
        MoodSignature("tense", "minor", (108, 160), (1.6, 4.0), (48, 72), (1.0, 4.0), ("4/4", "2/4", "6/8", "2/2"), 48),
        MoodSignature("triumphant", "major", (92, 126), (0.8, 2.4), (62, 82), (2.2, 5.0), ("4/4", "2/4", "2/2", "3/4"), 56),
    )
}

# Krumhansl–Kessler key profiles (Krumhansl 1990), as used by the Krumhansl–Schmuckler algorithm.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


MIN_MODE_MARGIN = 0.05  # corpus pieces whose best major and best minor key fit closer than this are left out


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class, 0 = C
    mode: str  # "major" or "minor"
    correlation: float  # how well the best profile fits, -1..1
    margin: float = 0.0  # how much better than the best key of the other mode


@dataclass(frozen=True)
class Features:
    key: Key
    density: float
    register: float
    interval: float
    meter: str
    tempo: Optional[float]


def find_key(piece: Piece) -> Key:
    """Krumhansl–Schmuckler: correlate the duration-weighted pitch-class histogram with all 24 keys."""
    histogram = np.zeros(12)
    for note in piece.notes:
        histogram[note.pitch % 12] += note.duration
    if not histogram.any():
        raise ValueError("a piece with no notes has no key")
    best = {"major": (-2.0, 0), "minor": (-2.0, 0)}  # mode → (correlation, tonic)
    for tonic in range(12):
        for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
            r = float(np.corrcoef(histogram, np.roll(profile, tonic))[0, 1])
            best[mode] = max(best[mode], (r, tonic))
    mode = "major" if best["major"] >= best["minor"] else "minor"
    other = "minor" if mode == "major" else "major"
    return Key(best[mode][1], mode, best[mode][0], best[mode][0] - best[other][0])


def features(piece: Piece, tempo: Optional[float] = None) -> Features:
    onsets: dict[int, int] = {}
    for note in piece.notes:
        onsets[note.start] = max(onsets.get(note.start, 0), note.pitch)
    melody = [onsets[t] for t in sorted(onsets)]
    quarters = max(piece.length / 4, 1)
    steps = np.abs(np.diff(melody)) if len(melody) > 1 else np.zeros(1)
    return Features(find_key(piece), len(onsets) / quarters, float(np.median(melody)), float(steps.mean()), piece.time_signature, tempo)


def _fit(value: float, low: float, high: float) -> float:
    """1 inside [low, high], falling off with the distance outside, in units of the range's width."""
    if low <= value <= high:
        return 1.0
    return max(0.0, 1.0 - min(abs(value - low), abs(value - high)) / (high - low))


def mood_scores(f: Features) -> dict[str, float]:
    """How well a piece fits each signature (0 for a mood of the other mode)."""
    scores = {}
    for mood, s in SIGNATURES.items():
        if s.mode != f.key.mode:
            scores[mood] = 0.0
            continue
        score = 2 * _fit(f.density, *s.density) + _fit(f.register, *s.register) + _fit(f.interval, *s.interval)
        score += 0.5 * (f.meter in s.meters)
        if f.tempo:
            score += 2 * _fit(f.tempo, *s.tempo)
        scores[mood] = score
    return scores


def label_piece(piece: Piece, tempo: Optional[float] = None) -> Optional[str]:
    """The mood whose signature fits best; None when the piece's mode is ambiguous (so no mood's
    model learns from a tune that is as much major as minor)."""
    f = features(piece, tempo)
    if f.key.margin < MIN_MODE_MARGIN:
        return None
    scores = mood_scores(f)
    return max(scores, key=scores.get)


def check_piece(piece: Piece, mood: str, tempo: float) -> dict[str, bool]:
    """Does a generated piece carry its mood's signature? One verdict per measured trait."""
    s, f = SIGNATURES[mood], features(piece, tempo)
    return {
        "mode": f.key.mode == s.mode,
        "tempo": s.tempo[0] <= tempo <= s.tempo[1],
        "density": s.density[0] <= f.density <= s.density[1],
        "register": s.register[0] <= f.register <= s.register[1],
    }
