"""A melody (a Piece on the sixteenth grid) ↔ the harmony models' eighth-note grid.

    melody, positions = melody_grid(piece)          # MIDI pitch per eighth (0 = rest), place in the bar
    alto, tenor, bass = voice_notes(lower)           # lower [steps, 3] MIDI pitches → a Note list per voice

The grid samples the melody at each eighth (its highest note sounding there, or the one starting in the
second half of the eighth), so a run of sixteenths is heard by the harmony at half its rate; the
melody itself is never changed. A voice's run of one pitch becomes one held note.
"""

from __future__ import annotations

import bisect

import numpy as np

from pipelines.text_to_music.tokens import Note, Piece

SIXTEENTHS_PER_STEP = 2


def sounding(piece: Piece, length: int) -> np.ndarray:
    """The highest pitch sounding at each sixteenth (0 = rest)."""
    grid = np.zeros(length, dtype=np.int64)
    for note in piece.notes:
        end = min(note.start + note.duration, length)
        grid[note.start:end] = np.maximum(grid[note.start:end], note.pitch)
    return grid


def melody_grid(piece: Piece) -> tuple[np.ndarray, np.ndarray]:
    """(melody [steps], positions [steps]): the piece's top line per eighth, and each eighth's place in its bar."""
    bars = list(piece.bars) or [0]
    length = max(piece.length, bars[-1] + piece.bar_length)
    steps = -(-length // SIXTEENTHS_PER_STEP)
    top = sounding(piece, steps * SIXTEENTHS_PER_STEP).reshape(steps, SIXTEENTHS_PER_STEP)
    melody = np.where(top[:, 0] > 0, top[:, 0], top[:, 1])
    starts = np.arange(steps) * SIXTEENTHS_PER_STEP
    bar_of = [bars[max(bisect.bisect_right(bars, s) - 1, 0)] for s in starts]
    positions = np.array([(s - b) // SIXTEENTHS_PER_STEP for s, b in zip(starts, bar_of)]) % 16
    return melody, positions


def voice_notes(lower: np.ndarray) -> list[list[Note]]:
    """[steps, voices] MIDI pitches (0 = rest) → per voice, its notes: each run of one pitch held."""
    parts = []
    for column in np.asarray(lower).T:
        notes, start = [], 0
        for t in range(1, len(column) + 1):
            if t == len(column) or column[t] != column[start]:
                if column[start] > 0:
                    notes.append(Note(start * SIXTEENTHS_PER_STEP, (t - start) * SIXTEENTHS_PER_STEP, int(column[start])))
                start = t
        parts.append(notes)
    return parts
