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

from pipelines.common.batch_invariance import make_batch_invariant
from pipelines.common.config import get_settings
from pipelines.common.korean import korean_names
from pipelines.common.loading import ModelUnavailableError, cached_loader, resolve_model_source
from pipelines.common.outputs import output_folder
from pipelines.common.processes import worker_processes
from pipelines.common.progress import DONE, ProgressFn, report
from pipelines.common.seeding import seed_or_random
from pipelines.common.torch_setup import configure_torch
from pipelines.common.validation import Notice, UserInputError, check_choice, check_number, quote, set_checked
from pipelines.text_to_music.arrange import PARTS, Part
from pipelines.text_to_music.batched import sampler_for
from pipelines.text_to_music.generate import MAX_SECONDS, generate_piece, parse_typed_notes
from pipelines.text_to_music.melody import Melody, parse_melody_notes, read_melody_file
from pipelines.text_to_music.model import WEIGHTS_FILE, MusicGPT, load_model
from pipelines.text_to_music.musicgen import musicgen_audio, musicgen_model, musicgen_present, write_audio
from pipelines.text_to_music.moods import KOREAN, MOODS, SIGNATURES, mood_scores, features
from pipelines.text_to_music.perform import Performance, perform
from pipelines.text_to_music.tokens import VOCAB, Piece, from_midi

if TYPE_CHECKING:
    from pipelines.text_to_music.mood.tagger import MoodResult

MAX_PRIMER_BYTES = 1_000_000
korean_names({"mood": "분위기", "tempo": "템포", "instrument": "악기", "seconds": "길이(초)", "temperature": "온도",
              "top_k": "상위 k개", "parts": "파트", "harmony_instrument": "화음 악기", "bass_instrument": "베이스 악기",
              "part": "파트", **{f"the {m!r} music model": f"'{KOREAN[m]}' 음악 모델" for m in MOODS}})
MAX_TEMPO = 240  # BPM; 0 asks for the mood's own tempo (the slider offers every value from 0, so all are played)


MoodChoice = Literal[("auto",) + MOODS]  # "auto" reads the mood from the text; the API schema lists them
MODELS = ("studio", "musicgen")  # the mood GPTs and harmony model trained here; MusicGen where its weights are
ModelChoice = Literal["studio", "musicgen"]


def check_mood(mood: Any) -> str:
    return check_choice(mood, "mood", ("auto",) + tuple(MOODS))


def check_tempo(tempo: Any) -> int:
    return check_number(tempo, "tempo", 0, MAX_TEMPO, whole=True)


def check_parts(parts: Any) -> Optional[tuple[str, ...]]:
    """None (all of PARTS) or a list of some of them, at least one."""
    if parts is None:
        return None
    if isinstance(parts, str) or not isinstance(parts, (list, tuple)) or len(parts) > len(PARTS):
        raise UserInputError("music.parts", f"parts must be a list of {', '.join(PARTS)}; got {quote(parts)}",
                             "파트는 {choices} 가운데 고른 목록이어야 합니다. 받은 값: {value}", choices=", ".join(PARTS), value=quote(parts))
    chosen = {check_choice(p, "part", PARTS) for p in parts}
    if not chosen:
        raise UserInputError("music.no_parts", "choose at least one part to play", "연주할 파트를 하나 이상 고르세요.")
    return tuple(p for p in PARTS if p in chosen)


def check_program(value: Any, name: str) -> int:
    return check_number(value, name, -1, 127, whole=True)


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
    parts: Optional[tuple[str, ...]] = None  # which of PARTS play (None: all); drums only where the mood has a groove
    harmony_instrument: int = -1  # General MIDI program of the harmony, or -1 for the mood's ensemble's
    bass_instrument: int = -1  # and of the bass
    model: str = "studio"  # one of MODELS: "musicgen" writes audio alone (no MIDI), where its weights are present

    def __post_init__(self) -> None:
        set_checked(  # in this order: of several bad values, the first is the one named
            self, model=check_choice(self.model, "model", MODELS), mood=check_mood(self.mood), seed=seed_or_random(self.seed), tempo=check_tempo(self.tempo),
            instrument=check_program(self.instrument, "instrument"), parts=check_parts(self.parts),
            harmony_instrument=check_program(self.harmony_instrument, "harmony_instrument"),
            bass_instrument=check_program(self.bass_instrument, "bass_instrument"),
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


@dataclass(frozen=True)
class HarmonizeRequest:
    melody: Optional[str] = None  # an uploaded monophonic MIDI file (its notes kept exactly), or
    melody_notes: str = ""  # typed notes with optional lengths in beats, e.g. "E4 E4 F4 G4/2" (melody.py)
    mood: str = "auto"  # "auto": the mood the melody's mode, pace and range fit best; or one of MOODS (ensemble, tempo)
    seed: int = 0  # 0 … MAX_SEED, or -1 for a new harmony (the seed drawn is kept here and reported)
    tempo: int = 0  # BPM 1–240, or 0 for the mood's own
    parts: Optional[tuple[str, ...]] = None  # as MusicRequest.parts; the melody always plays unless left out here

    def __post_init__(self) -> None:
        set_checked(self, mood=check_mood(self.mood), seed=seed_or_random(self.seed), tempo=check_tempo(self.tempo),
                    parts=check_parts(self.parts))

    def read_melody(self) -> Melody:
        if self.melody:
            return read_melody_file(self.melody)
        return parse_melody_notes(self.melody_notes if isinstance(self.melody_notes, str) else "")


# -- results -------------------------------------------------------------------------------------
@dataclass
class MusicResult:
    mood: str
    probabilities: Optional[dict[str, float]]  # the tagger's scores; None when the mood was chosen
    midi_path: Optional[Path]  # None from MusicGen, which writes audio alone
    audio_path: Path
    piano_roll: Optional[Image.Image]
    piece: Piece  # the melody (for a harmonised melody: on the sixteenth grid)
    tempo: int
    program: int  # the melody's General MIDI program (0-based)
    seed: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    parts: list[Part] = field(default_factory=list)  # what plays: one MIDI track each (arrange.py)


@dataclass
class MusicComparison:
    mood: str  # the text's own mood, as tagged
    probabilities: dict[str, float]  # the tagger's scores
    results: list[MusicResult]  # one per mood, in the order of MOODS
    musicgen: Optional[MusicResult] = None  # the text through MusicGen in its own mood, where MusicGen is present


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
    model = load_model(folder)[0]
    make_batch_invariant(model)  # sampled in batches (batched.py): a seed gives the same piece in any of them
    return model


# -- the pipeline --------------------------------------------------------------------------------
class TextToMusicPipeline:
    """The tab's one entry (see get_pipeline). The tagger and each mood's model load on first use and stay."""

    def tag(self, text: Any) -> MoodResult:
        """The mood of a text; the tagger checks the text (1–500 characters, with a word in it)."""
        from pipelines.text_to_music.mood.tagger import get_tagger  # the encoder loads only when text is tagged

        return get_tagger()(text)

    def compose(self, request: MusicRequest, progress: Optional[ProgressFn] = None) -> MusicResult:
        """A piece for the request's mood, or, for "auto", the mood read from its text."""
        compose = self._musicgen if request.model == "musicgen" else self._compose
        if request.mood != "auto":
            return compose(request, request.mood, progress=progress)
        start = time.perf_counter()
        tagged = self.tag(request.text)
        return compose(request, tagged.mood, probabilities=tagged.probabilities,
                       timings={"tag": time.perf_counter() - start}, progress=progress)

    def compare(self, request: MusicCompareRequest, progress: Optional[ProgressFn] = None) -> MusicComparison:
        """The same text, seed and settings through every mood's model; the text's own mood is tagged too."""
        tagged = self.tag(request.text)  # the text decides nothing here but is read, and its mood shown
        results = []
        for i, mood in enumerate(MOODS):
            report(progress, i / len(MOODS), Notice("progress.mood_of", f"{mood} ({i + 1} of {len(MOODS)})",
                                                    "{mood} ({i}/{n})", mood=KOREAN[mood], i=i + 1, n=len(MOODS)))
            results.append(self._compose(request.per_mood, mood))
        musicgen = self._musicgen(request.per_mood, tagged.mood) if musicgen_present() else None
        report(progress, 1.0, DONE)
        return MusicComparison(tagged.mood, tagged.probabilities, results, musicgen)

    def _musicgen(self, request: MusicRequest, mood: str, probabilities: Optional[dict[str, float]] = None,
                  timings: Optional[dict[str, float]] = None, progress: Optional[ProgressFn] = None) -> MusicResult:
        """The text and its mood through MusicGen: audio only (no MIDI, no piano roll)."""
        if not musicgen_present():
            raise ModelUnavailableError(f"MusicGen ({musicgen_model()}) is not downloaded on this machine: choose the "
                                        "studio's models", "이 컴퓨터에는 MusicGen({model})이 내려받아져 있지 않습니다. "
                                        "스튜디오 모델을 고르세요.", key="music.no_musicgen", model=musicgen_model())
        timings, start, tempo = dict(timings or {}), time.perf_counter(), request.tempo or SIGNATURES[mood].default_tempo
        audio, rate = musicgen_audio(str(request.text or ""), mood, tempo, request.seconds, request.seed, progress=progress)
        timings["musicgen"] = time.perf_counter() - start
        path = write_audio(audio, rate, output_folder("music") / f"musicgen-{mood}-{request.seed}.ogg")
        report(progress, 1.0, DONE)
        return MusicResult(mood, probabilities, None, path, None, Piece(), tempo, -1, request.seed, timings, [])

    def harmonize(self, request: HarmonizeRequest, progress: Optional[ProgressFn] = None) -> MusicResult:
        """The user's melody, every note kept, with harmony, bass and drums of the mood asked (or the one it fits)."""
        melody = request.read_melody()
        piece = melody.as_piece()
        mood = request.mood if request.mood != "auto" else fitting_mood(piece)
        report(progress, 0.1, Notice("progress.mood", f"mood: {mood}", "분위기: {mood}", mood=KOREAN[mood]))
        notes = [(s, d, p) for s, d, p in melody.notes]
        tempo = request.tempo or SIGNATURES[mood].default_tempo
        return self._arrange(piece, notes, Performance(mood, tempo, request.seed, request.parts or PARTS), progress=progress)

    def _compose(self, request: MusicRequest, mood: str, probabilities: Optional[dict[str, float]] = None,
                 timings: Optional[dict[str, float]] = None, progress: Optional[ProgressFn] = None) -> MusicResult:
        """Sample `request` with `mood`'s model and arrange it (its own tempo and ensemble where the request leaves them)."""
        timings, signature = dict(timings or {}), SIGNATURES[mood]
        tempo = request.tempo or signature.default_tempo
        primer = load_primer(request.primer, request.primer_notes, signature.meters[0])
        report(progress, 0.05, Notice("progress.mood", f"mood: {mood}", "분위기: {mood}", mood=KOREAN[mood]))
        start = time.perf_counter()
        model = get_music_model(mood)  # sampled with other requests' pieces of this mood, or on the Ray cluster
        sampled = generate_piece(model, seconds=request.seconds, tempo=tempo, temperature=request.temperature,
                                 top_k=request.top_k, seed=request.seed, primer=primer, progress=progress,
                                 sampler=sampler_for(model), mood=mood)
        timings["sample"] = time.perf_counter() - start
        piece = sampled.piece
        programs = {name: value for name, value in (("melody", request.instrument), ("harmony", request.harmony_instrument),
                                                    ("bass", request.bass_instrument)) if value >= 0}
        melody = [(n.start / 4, n.duration / 4, n.pitch) for n in piece.notes]
        performance = Performance(mood, tempo, request.seed, request.parts or PARTS, programs)
        return self._arrange(piece, melody, performance, probabilities, timings, progress)

    def _arrange(self, piece: Piece, melody: list, how: Performance, probabilities: Optional[dict[str, float]] = None,
                 timings: Optional[dict[str, float]] = None, progress: Optional[ProgressFn] = None) -> MusicResult:
        """Harmony under `piece`'s top line, the parts asked for around `melody` (in beats), MIDI, audio and roll:
        played in a worker process (perform.py says why)."""
        report(progress, 0.85, Notice("progress.render", "playing the parts", "파트를 연주하는 중"))
        played = worker_processes.run(perform, piece, melody, how, output_folder("music"))
        if not played.parts:  # drums alone, for a mood that has none
            raise UserInputError("music.no_drums", f"{how.mood} music has no drums: choose another part to play",
                                 "{mood} 음악에는 드럼이 없습니다. 연주할 다른 파트를 고르세요.", mood=KOREAN[how.mood])
        report(progress, 1.0, DONE)
        program = how.programs.get("melody", SIGNATURES[how.mood].program)
        return MusicResult(how.mood, probabilities, played.midi_path, played.audio_path, played.roll, piece, how.tempo,
                           program, how.seed, {**(timings or {}), **played.timings}, played.parts)


def fitting_mood(piece: Piece) -> str:
    """The mood a melody fits best: its mode first (a key-finding algorithm's), then pace, range and leaps."""
    scores = mood_scores(features(piece))
    return max(scores, key=scores.get)


@cached_loader
def get_pipeline() -> TextToMusicPipeline:
    """The tab's pipeline, made on first use and shared."""
    return TextToMusicPipeline()
