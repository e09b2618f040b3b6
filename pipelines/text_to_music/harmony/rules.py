"""The simple rule-based harmoniser the trained models are measured against: I, IV and V under the melody.

Per beat (two eighths), the chord of the three primary triads that holds the melody's note (the tonic's
where several do, or when none does; the dominant before a final tonic), voiced with the bass on the root
and alto and tenor on the chord tones nearest their last notes, below the melody. What a beginner's
textbook harmonisation does, and nothing more.
"""

from __future__ import annotations

import numpy as np

from pipelines.text_to_music.moods import find_key
from pipelines.text_to_music.tokens import Note, Piece

MAJOR_TRIADS = {"I": (0, 4, 7), "IV": (5, 9, 0), "V": (7, 11, 2)}
MINOR_TRIADS = {"I": (0, 3, 7), "IV": (5, 8, 0), "V": (7, 11, 2)}  # i, iv and the raised-third V
RANGES = ((55, 74), (48, 67), (36, 55))  # alto, tenor, bass (MIDI)


def choose_chords(melody: np.ndarray, tonic: int, triads: dict) -> list[str]:
    """A chord name per beat (pairs of eighths)."""
    chords = []
    for beat in range(0, len(melody), 2):
        notes = [p for p in melody[beat:beat + 2] if p > 0]
        pitch_class = (notes[0] - tonic) % 12 if notes else None
        fits = [name for name, tones in triads.items() if pitch_class in tones]
        chords.append("I" if not fits or "I" in fits else fits[0])
    if len(chords) >= 2 and chords[-1] == "I":
        chords[-2] = "V" if not melody[-4:-2].any() or (melody[-4] - tonic) % 12 in triads["V"] else chords[-2]
    return chords


def nearest_tone(tones: set[int], low: int, high: int, previous: int, ceiling: int) -> int:
    candidates = [p for p in range(low, min(high, ceiling - 1) + 1) if p % 12 in tones]
    if not candidates:  # the melody sits too low for this voice's range: the chord tone just under it
        candidates = [p for p in range(ceiling - 12, ceiling) if p % 12 in tones]
    return min(candidates, key=lambda p: (abs(p - previous), p))


def harmonize_by_rules(melody: np.ndarray, key_piece: Piece | None = None) -> np.ndarray:
    """Lower voices [steps, 3] (MIDI, 0 = rest) for `melody` [steps] (MIDI per eighth, 0 = rest)."""
    piece = key_piece or Piece("4/4", [0], [Note(2 * t, 2, int(p)) for t, p in enumerate(melody) if p > 0])
    key = find_key(piece) if piece.notes else None
    tonic = key.tonic if key else 0
    triads = MINOR_TRIADS if key and key.mode == "minor" else MAJOR_TRIADS
    chords = choose_chords(melody, tonic, triads)
    lower = np.zeros((len(melody), 3), dtype=np.int64)
    previous = [64, 55, 48]
    sounding_top = 80
    for t in range(len(melody)):
        sounding_top = int(melody[t]) if melody[t] > 0 else sounding_top
        tones = {(tonic + i) % 12 for i in triads[chords[t // 2]]}
        root = (tonic + triads[chords[t // 2]][0]) % 12
        alto = nearest_tone(tones, *RANGES[0], previous[0], sounding_top)
        tenor = nearest_tone(tones, *RANGES[1], previous[1], alto + 1)
        bass = nearest_tone({root}, *RANGES[2], previous[2], tenor + 1)
        lower[t] = previous = [alto, tenor, bass]
    return lower
