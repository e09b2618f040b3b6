"""Text → Music: tag the text's mood, continue with that mood's GPT, write MIDI, audio and a piano roll.

    music = get_pipeline()
    result = music.compose(MusicRequest(text="a quiet walk by the lake at dawn", seconds=20, seed=3))
    result.mood, result.midi_path, result.audio_path, result.piano_roll

A request is checked once, when it is built (its `__post_init__`); the pipeline trusts what it holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Optional

from PIL import Image

from pipelines.common.config import get_settings
from pipelines.common.korean import korean_names
from pipelines.common.loading import ModelUnavailableError, cached_loader, resolve_model_source
from pipelines.common.outputs import output_folder
from pipelines.common.progress import DONE, ProgressFn, report
from pipelines.common.seeding import seed_or_random
from pipelines.common.torch_setup import configure_torch
from pipelines.common.validation import Notice, UserInputError, check_choice, check_number, set_checked
from pipelines.text_to_music.generate import MAX_SECONDS, generate_piece, parse_typed_notes
from pipelines.text_to_music.model import WEIGHTS_FILE, MusicGPT, load_model
from pipelines.text_to_music.moods import KOREAN, MOODS, SIGNATURES
from pipelines.text_to_music.render import piano_roll, render_audio
from pipelines.text_to_music.tokens import VOCAB, Piece, from_midi, to_midi

if TYPE_CHECKING:
    from pipelines.text_to_music.mood.tagger import MoodResult

MAX_PRIMER_BYTES = 1_000_000
korean_names({"mood": "분위기", "tempo": "템포", "instrument": "악기", "seconds": "길이(초)", "temperature": "온도",
              "top_k": "상위 k개", **{f"the {m!r} music model": f"'{KOREAN[m]}' 음악 모델" for m in MOODS}})
MAX_TEMPO = 240  # BPM; 0 asks for the mood's own tempo (the slider offers every value from 0, so all are played)


MoodChoice = Literal[("auto",) + MOODS]  # "auto" reads the mood from the text; the API schema lists them


def check_mood(mood: Any) -> str:
    return check_choice(mood, "mood", ("auto",) + tuple(MOODS))


def check_tempo(tempo: Any) -> int:
    return check_number(tempo, "tempo", 0, MAX_TEMPO, whole=True)


# -- requests ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MusicRequest:
    text: Any = ""  # English or Korean; read (and checked) by the mood tagger when mood is "auto"
    mood: str = "auto"  # "auto" (read from the text) or one of MOODS
    seconds: float = 20  # length, 1–MAX_SECONDS
    temperature: float = 0.9  # 0.1–2; a little below 1: steadier tonality from small models
    top_k: int = 0  # sample only among the k likeliest next events (0 = all)
    seed: int = 0  # 0 … MAX_SEED, or -1 for a new variation (the seed drawn is kept here and reported)
    tempo: int = 0  # BPM 1–240, or 0 for the mood's own
    instrument: int = -1  # General MIDI program 0–127, or -1 for the mood's own
    primer: Optional[str] = None  # an uploaded MIDI file to continue (read when composing: its meter follows the mood)
    primer_notes: str = ""  # or a few typed notes, e.g. "C4 E4 G4"

    def __post_init__(self) -> None:
        set_checked(  # in this order: of several bad values, the first is the one named
            self, mood=check_mood(self.mood), seed=seed_or_random(self.seed), tempo=check_tempo(self.tempo),
            instrument=check_number(self.instrument, "instrument", -1, 127, whole=True),
            seconds=check_number(self.seconds, "seconds", 1, MAX_SECONDS),
            temperature=check_number(self.temperature, "temperature", 0.1, 2.0),
            top_k=check_number(self.top_k, "top_k", 0, len(VOCAB), whole=True),
        )


@dataclass(frozen=True)
class MusicCompareRequest:
    text: Any = ""  # read by the mood tagger: its mood is shown beside the five pieces
    seconds: float = 15  # length of each piece, 1–MAX_SECONDS
    seed: int = 0  # one seed for all five moods; -1: a new one, kept here and reported
    per_mood: MusicRequest = field(init=False, repr=False)  # what each mood's model is given, checked once

    def __post_init__(self) -> None:
        per_mood = MusicRequest(text=self.text, seconds=self.seconds, seed=self.seed)
        set_checked(self, seconds=per_mood.seconds, seed=per_mood.seed, per_mood=per_mood)


# -- results -------------------------------------------------------------------------------------
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


@dataclass
class MusicComparison:
    mood: str  # the text's own mood, as tagged
    probabilities: dict[str, float]  # the tagger's scores
    results: list[MusicResult]  # one per mood, in the order of MOODS


# -- loading -------------------------------------------------------------------------------------
def load_primer(primer: Any, notes: Any, meter: str) -> Optional[Piece]:
    """A MIDI file (path) or typed notes ('C4 E4 G4'); None if neither is given."""
    if primer:
        path = Path(primer) if isinstance(primer, (str, Path)) else None
        if path is None or not path.is_file():  # the caller (demos) passes only uploaded files
            raise UserInputError("music.primer_missing", "the primer must be an uploaded MIDI file",
                                 "프라이머는 업로드한 MIDI 파일이어야 합니다.")
        if path.stat().st_size > MAX_PRIMER_BYTES:  # checked before mido reads a byte of it
            raise UserInputError("music.primer_large", f"the primer file is {path.stat().st_size // 1024} kB; at most "
                                 f"{MAX_PRIMER_BYTES // 1000} kB", "프라이머 파일이 {size:,} kB입니다. 최대 {limit:,} kB까지 "
                                 "받습니다.", size=path.stat().st_size // 1024, limit=MAX_PRIMER_BYTES // 1000)
        return from_midi(path)
    if isinstance(notes, str) and notes.strip():
        return parse_typed_notes(notes, meter)
    return None


@cached_loader
def get_music_model(mood: str) -> MusicGPT:
    configure_torch()
    folder = resolve_model_source(str(Path(get_settings().music_models) / mood), what=f"the {mood!r} music model")
    if not (folder / WEIGHTS_FILE).is_file():
        raise ModelUnavailableError(f"no {mood!r} music model in {str(folder)!r}: train it with `python -m pipelines.text_to_music.train --mood {mood}`",
                                    "{folder}에 '{mood}' 음악 모델이 없습니다. `python -m pipelines.text_to_music.train "
                                    "--mood {key}`(으)로 학습하세요.", folder=repr(str(folder)), mood=KOREAN[mood], key=mood)
    return load_model(folder)[0]


# -- the pipeline --------------------------------------------------------------------------------
class TextToMusicPipeline:
    """The tab's one entry (see get_pipeline). The tagger and each mood's model load on first use and stay."""

    def tag(self, text: Any) -> MoodResult:
        """The mood of a text; the tagger checks the text (1–500 characters, with a word in it)."""
        from pipelines.text_to_music.mood.tagger import get_tagger  # the encoder loads only when text is tagged

        return get_tagger()(text)

    def compose(self, request: MusicRequest, progress: Optional[ProgressFn] = None) -> MusicResult:
        """A piece for the request's mood, or, for "auto", the mood read from its text."""
        if request.mood != "auto":
            return self._compose(request, request.mood, progress=progress)
        start = time.perf_counter()
        tagged = self.tag(request.text)
        return self._compose(request, tagged.mood, probabilities=tagged.probabilities,
                             timings={"tag": time.perf_counter() - start}, progress=progress)

    def compare(self, request: MusicCompareRequest, progress: Optional[ProgressFn] = None) -> MusicComparison:
        """The same text, seed and settings through every mood's model; the text's own mood is tagged too."""
        tagged = self.tag(request.text)  # the text decides nothing here but is read, and its mood shown
        results = []
        for i, mood in enumerate(MOODS):
            report(progress, i / len(MOODS), Notice("progress.mood_of", f"{mood} ({i + 1} of {len(MOODS)})",
                                                    "{mood} ({i}/{n})", mood=KOREAN[mood], i=i + 1, n=len(MOODS)))
            results.append(self._compose(request.per_mood, mood))
        report(progress, 1.0, DONE)
        return MusicComparison(tagged.mood, tagged.probabilities, results)

    def _compose(self, request: MusicRequest, mood: str, probabilities: Optional[dict[str, float]] = None,
                 timings: Optional[dict[str, float]] = None, progress: Optional[ProgressFn] = None) -> MusicResult:
        """Sample and render `request` with `mood`'s model (its own tempo and instrument where the request leaves them)."""
        timings, signature = dict(timings or {}), SIGNATURES[mood]
        tempo = request.tempo or signature.default_tempo
        program = signature.program if request.instrument < 0 else request.instrument
        primer = load_primer(request.primer, request.primer_notes, signature.meters[0])
        report(progress, 0.05, Notice("progress.mood", f"mood: {mood}", "분위기: {mood}", mood=KOREAN[mood]))

        start = time.perf_counter()
        sampled = generate_piece(get_music_model(mood), seconds=request.seconds, tempo=tempo, temperature=request.temperature,
                                 top_k=request.top_k, seed=request.seed, primer=primer, progress=progress)
        timings["sample"] = time.perf_counter() - start
        start = time.perf_counter()
        folder, name = output_folder("music"), f"{mood}-{request.seed}"
        midi_path = to_midi(sampled.piece, folder / f"{name}.mid", tempo, program)
        bars_length = len(sampled.piece.bars) * sampled.piece.bar_length  # whole bars, rests at the end included
        length = min(max(sampled.piece.length, bars_length) / 4 * 60 / tempo, MAX_SECONDS + 5)
        audio_path = render_audio(midi_path, folder / f"{name}.ogg", length)
        roll = piano_roll(sampled.piece)
        timings["render"] = time.perf_counter() - start
        report(progress, 1.0, DONE)
        return MusicResult(mood, probabilities, midi_path, audio_path, roll, sampled.piece, tempo, program, request.seed, timings)


@cached_loader
def get_pipeline() -> TextToMusicPipeline:
    """The tab's pipeline, made on first use and shared."""
    return TextToMusicPipeline()
