"""Text → Music: tag the text's mood, continue with that mood's GPT, write MIDI, audio and a piano roll.

    result = TextToMusic()("a quiet walk by the lake at dawn", seconds=20, seed=3)
    result.mood, result.midi_path, result.audio_path, result.piano_roll
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from PIL import Image

from pipelines.common.config import get_settings
from pipelines.common.loading import ModelUnavailableError, cached_loader, resolve_model_source
from pipelines.common.outputs import output_folder
from pipelines.common.progress import ProgressFn, report
from pipelines.common.seeding import seed_or_random
from pipelines.common.torch_setup import configure_torch
from pipelines.common.validation import UserInputError, check_choice, check_number
from pipelines.text_to_music.generate import MAX_SECONDS, generate_piece, parse_typed_notes
from pipelines.text_to_music.model import WEIGHTS_FILE, MusicGPT, load_model
from pipelines.text_to_music.moods import MOODS, SIGNATURES
from pipelines.text_to_music.render import piano_roll, render_audio
from pipelines.text_to_music.tokens import Piece, from_midi, to_midi

MAX_PRIMER_BYTES = 1_000_000


@dataclass
class MusicResult:
    mood: str
    probabilities: Optional[dict[str, float]]  # the tagger's scores; None when the mood was chosen
    midi_path: Path
    audio_path: Path
    piano_roll: Image.Image
    piece: Piece
    tempo: int
    program: int  # General MIDI program (0-based)
    seed: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage


def check_mood(mood: Any) -> str:
    return check_choice(mood, "mood", ("auto",) + tuple(MOODS))


def load_primer(primer: Any, notes: Any, meter: str) -> Optional[Piece]:
    """A MIDI file (path) or typed notes ('C4 E4 G4'); None if neither is given."""
    if primer:
        path = Path(primer) if isinstance(primer, (str, Path)) else None
        if path is None or not path.is_file():  # the caller (demos) passes only uploaded files
            raise UserInputError("music.primer_missing", "the primer must be an uploaded MIDI file")
        if path.stat().st_size > MAX_PRIMER_BYTES:  # checked before mido reads a byte of it
            raise UserInputError("music.primer_large", f"the primer file is {path.stat().st_size // 1024} kB; at most "
                                 f"{MAX_PRIMER_BYTES // 1000} kB", size=path.stat().st_size // 1024, limit=MAX_PRIMER_BYTES // 1000)
        return from_midi(path)
    if isinstance(notes, str) and notes.strip():
        return parse_typed_notes(notes, meter)
    return None


@cached_loader
def get_music_model(mood: str) -> MusicGPT:
    configure_torch()
    folder = resolve_model_source(str(Path(get_settings().music_models) / mood), what=f"the {mood!r} music model")
    if not (folder / WEIGHTS_FILE).is_file():
        raise ModelUnavailableError(f"no {mood!r} music model in {str(folder)!r}: train it with `python -m pipelines.text_to_music.train --mood {mood}`")
    return load_model(folder)[0]


class TextToMusic:
    def __call__(
        self,
        text: Any = "",
        mood: Any = "auto",
        seconds: Any = 20,
        temperature: Any = 0.9,  # a little below 1: steadier tonality from small models
        top_k: Any = 0,
        seed: Any = 0,
        tempo: Any = 0,
        instrument: Any = -1,
        primer: Any = None,
        primer_notes: Any = "",
        progress: Optional[ProgressFn] = None,
    ) -> MusicResult:
        """`tempo` 0 and `instrument` -1 mean the mood's own; the other arguments as in generate_piece."""
        mood, seed = check_mood(mood), seed_or_random(seed)  # -1: a new variation, its seed reported
        tempo = int(check_number(tempo, "tempo", 0, 240, whole=True))
        program = int(check_number(instrument, "instrument", -1, 127, whole=True))
        timings: dict[str, float] = {}
        probabilities = None
        if mood == "auto":
            from pipelines.text_to_music.mood.tagger import get_tagger  # the encoder loads only when text is tagged

            start = time.perf_counter()
            tagged = get_tagger()(text)
            mood, probabilities = tagged.mood, tagged.probabilities
            timings["tag"] = time.perf_counter() - start
        signature = SIGNATURES[mood]
        tempo = tempo or signature.default_tempo
        if tempo < 30:
            raise ValueError(f"tempo must be 0 (the mood's own) or from 30 to 240, got {tempo}")
        program = signature.program if program < 0 else program
        primer_piece = load_primer(primer, primer_notes, signature.meters[0])
        report(progress, 0.05, f"mood: {mood}")

        start = time.perf_counter()
        sampled = generate_piece(get_music_model(mood), seconds, tempo, temperature, top_k, seed, primer_piece, progress=progress)
        timings["sample"] = time.perf_counter() - start
        start = time.perf_counter()
        folder = output_folder("music")
        midi_path = to_midi(sampled.piece, folder / f"{mood}-{seed}.mid", tempo, program)
        bars_length = len(sampled.piece.bars) * sampled.piece.bar_length  # whole bars, rests at the end included
        length = min(max(sampled.piece.length, bars_length) / 4 * 60 / tempo, MAX_SECONDS + 5)
        audio_path = render_audio(midi_path, folder / f"{mood}-{seed}.ogg", length)
        roll = piano_roll(sampled.piece)
        timings["render"] = time.perf_counter() - start
        report(progress, 1.0, "done")
        return MusicResult(mood, probabilities, midi_path, audio_path, roll, sampled.piece, tempo, program, seed, timings)

    def compare(self, text: Any, seconds: Any = 15, seed: Any = 0, progress: Optional[ProgressFn] = None, **kwargs) -> list[MusicResult]:
        """The same text, seed and settings through every mood's model (seed -1: one random seed for all)."""
        seed, results = seed_or_random(seed), []
        for i, mood in enumerate(MOODS):
            report(progress, i / len(MOODS), f"{mood} ({i + 1} of {len(MOODS)})")
            results.append(self(text, mood, seconds, seed=seed, **kwargs))
        report(progress, 1.0, "done")
        return results
