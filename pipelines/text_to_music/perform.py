"""A melody played: harmony under it, the parts around it, MIDI, audio and a piano roll, in a worker process.

    played = worker_processes.run(perform, piece, melody, Performance("happy", 112, seed=3), folder)

Each of these steps holds the GIL: the harmony model writes its voices an eighth at a time in many small tensor
operations, the synthesizer and the Vorbis encoder, MIDI writing and drawing are Python or hold it. Pieces made at
once in the app's threads would take turns on one core, and these steps are most of a piece's time (py-spy, sixteen
clients at once); in worker processes (pipelines/common/processes.py) they use every core, while the app's process
samples the melodies together (batched.py). `perform` is the same code whichever process runs it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from PIL import Image

from pipelines.common.torch_setup import configure_torch
from pipelines.text_to_music.arrange import PARTS, Part, arrange, arrangement_roll, write_arrangement
from pipelines.text_to_music.harmony.grid import voice_notes
from pipelines.text_to_music.harmony.harmonizer import get_harmonizer
from pipelines.text_to_music.moods import SIGNATURES
from pipelines.text_to_music.render import render_audio
from pipelines.text_to_music.tokens import Piece

MAX_AUDIO_SECONDS = 300  # the longest audio rendered (a harmonised melody of MAX_MELODY_BEATS at the slowest mood)


@dataclass(frozen=True)
class Performance:
    """How an arrangement is played: its mood's ensemble, tempo, seed, the parts asked for, instruments overridden."""

    mood: str
    tempo: int
    seed: int
    parts: tuple[str, ...] = PARTS
    programs: dict[str, int] = field(default_factory=dict)


@dataclass
class Played:
    parts: list[Part]  # what plays, one MIDI track each; empty when nothing asked for can play (drums alone, none)
    midi_path: Optional[Path] = None
    audio_path: Optional[Path] = None
    roll: Optional[Image.Image] = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: "harmony", "render"


def perform(piece: Piece, melody: list, how: Performance, folder: Path) -> Played:
    """Harmony under `piece`'s top line, the parts asked for around `melody` (in beats), then its MIDI and audio
    in `folder` and its piano roll."""
    configure_torch()
    start, mood = time.perf_counter(), how.mood
    wanted = {"harmony", "bass"} & set(how.parts)
    lower = get_harmonizer().lower_voices(piece, how.seed, SIGNATURES[mood].mode) if wanted else None
    bars = [b / 4 for b in (piece.bars or range(0, max(piece.length, 1), piece.bar_length))]
    arranged = arrange(melody, voice_notes(lower) if lower is not None else [[], [], []], mood, piece.time_signature,
                       bars, how.parts, how.programs)
    played = Played(arranged, timings={"harmony": time.perf_counter() - start})
    if not arranged:
        return played
    start, name = time.perf_counter(), f"{mood}-{how.seed}"
    played.midi_path = write_arrangement(arranged, Path(folder) / f"{name}.mid", how.tempo, piece.time_signature)
    end_beats = max([bars[-1] + piece.bar_length / 4] + [s + d for part in arranged for s, d, *_ in part.notes])
    played.audio_path = render_audio(played.midi_path, Path(folder) / f"{name}.ogg",
                                     min(end_beats * 60 / how.tempo, MAX_AUDIO_SECONDS))
    played.roll = arrangement_roll(arranged, bars, piece.bar_length / 4)
    played.timings["render"] = time.perf_counter() - start
    return played
