"""A melody made into an arrangement: harmony, bass and drums around it, each mood with its own ensemble and groove.

    parts = arrange(melody, voice_notes(lower), mood, time_signature, bars, parts=PARTS)   # [Part]
    write_arrangement(parts, path, tempo, time_signature)      # MIDI type 1: one named track per instrument
    arrangement_roll(parts, bars, bar_beats)                   # the piano roll, a colour per part (COLOURS)

The harmony model writes alto, tenor and bass under the melody (harmony/); here alto and tenor become the
"harmony" part, the bass line the "bass" part, and the mood's groove for the metre the "drums" (General MIDI
channel 10). Notes are in beats (quarter notes), so a user's melody keeps its exact onsets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

from PIL import Image

from pipelines.text_to_music.moods import SIGNATURES
from pipelines.text_to_music.render import spans_roll
from pipelines.text_to_music.tokens import Note

PARTS = ("melody", "harmony", "bass", "drums")
PartName = Literal["melody", "harmony", "bass", "drums"]
COLOURS = {"melody": (79, 70, 229), "harmony": (16, 185, 129), "bass": (234, 88, 12), "drums": (107, 114, 128)}
VELOCITY = {"melody": 96, "harmony": 62, "bass": 78}
KICK, SNARE, CLOSED_HAT, CRASH, RIDE = 36, 38, 42, 49, 51  # General MIDI drum keys


@dataclass(frozen=True)
class Ensemble:
    harmony: int  # General MIDI programs (0-based); the melody's is the mood's own (moods.SIGNATURES)
    bass: int
    groove: Optional[str]  # the drums' pattern (groove_bar: pop, drive or march); None: this mood has no drums


ENSEMBLES = {
    "happy": Ensemble(harmony=0, bass=32, groove="pop"),  # piano over piano and acoustic bass
    "sad": Ensemble(harmony=48, bass=43, groove=None),  # cello over strings and contrabass
    "calm": Ensemble(harmony=89, bass=32, groove=None),  # harp over a warm pad and acoustic bass
    "tense": Ensemble(harmony=49, bass=43, groove="drive"),  # strings over slow strings and contrabass
    "triumphant": Ensemble(harmony=61, bass=58, groove="march"),  # trumpet over brass and tuba
}


@dataclass
class Part:
    name: str  # one of PARTS
    program: int  # General MIDI program (drums: 0, the standard kit)
    notes: list[tuple[float, float, int, int]]  # (start beat, length in beats, MIDI pitch, velocity)

    @property
    def is_drum(self) -> bool:
        return self.name == "drums"


def beats_of(time_signature: str) -> tuple[float, int]:
    """(the beat's length in quarter notes, beats per bar): compound metres (6/8, 9/8, 12/8) beat in dotted quarters."""
    num, den = map(int, time_signature.split("/"))
    if den == 8 and num % 3 == 0 and num > 3:
        return 1.5, num // 3
    return 4 / den, num


def groove_bar(groove: str, time_signature: str, bar_number: int) -> list[tuple[float, int, int]]:
    """One bar of drums: (beat offset in quarters, drum, velocity)."""
    beat, count = beats_of(time_signature)
    hits = []
    for b in range(count):
        at, strong = b * beat, b == 0 or (count == 4 and b == 2)
        hits.append((at, KICK if strong or groove == "drive" else SNARE, 100 if strong else 84))
        if groove == "march" and not strong:
            hits.append((at + beat / 2, SNARE, 60))
        subdivisions = 4 if groove == "drive" else 2
        hits += [(at + beat * k / subdivisions, CLOSED_HAT if groove != "march" else RIDE, 58 if k else 72)
                 for k in range(subdivisions)]
    if bar_number % 4 == 0 and groove in ("march", "pop"):
        hits.append((0.0, CRASH, 90))
    return hits


def drum_part(groove: str, time_signature: str, bars: list[float], end: float) -> Part:
    """The groove under every bar (starts in beats) up to `end`."""
    notes = []
    for number, start in enumerate(bars):
        for offset, drum, velocity in groove_bar(groove, time_signature, number):
            if start + offset < end:
                notes.append((start + offset, 0.25, drum, velocity))
    return Part("drums", 0, notes)


def voice_part(name: str, program: int, voices: list[list[Note]]) -> Part:
    """Voices on the sixteenth grid (the harmony model's) as one part, in beats."""
    notes = [(n.start / 4, n.duration / 4, n.pitch, VELOCITY[name]) for voice in voices for n in voice]
    return Part(name, program, sorted(notes))


def arrange(melody: list[tuple[float, float, int]], lower: list[list[Note]], mood: str, time_signature: str,
            bars: list[float], parts: tuple[str, ...], programs: Optional[dict[str, int]] = None) -> list[Part]:
    """The parts asked for, in PARTS order: `melody` (start, length in beats, pitch) as given, `lower` (alto,
    tenor, bass from the harmony model), and the mood's groove (none for a mood without one); `programs`
    overrides the ensemble's instruments."""
    ensemble = ENSEMBLES[mood]
    chosen = {"melody": SIGNATURES[mood].program, "harmony": ensemble.harmony, "bass": ensemble.bass, **(programs or {})}
    end = max((s + d for s, d, _ in melody), default=0.0)
    made = {
        "melody": lambda: Part("melody", chosen["melody"], [(s, d, p, VELOCITY["melody"]) for s, d, p in melody]),
        "harmony": lambda: voice_part("harmony", chosen["harmony"], lower[:2]),
        "bass": lambda: voice_part("bass", chosen["bass"], lower[2:]),
        "drums": lambda: drum_part(ensemble.groove, time_signature, bars, end),
    }
    return [made[name]() for name in PARTS if name in parts and (name != "drums" or ensemble.groove)]


def write_arrangement(parts: list[Part], path: str | Path, tempo: float, time_signature: str) -> Path:
    """MIDI type 1 (pretty_midi): a named track per part, drums on channel 10, the tempo and the metre."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=float(tempo))
    num, den = map(int, time_signature.split("/"))
    midi.time_signature_changes.append(pretty_midi.TimeSignature(num, den, 0.0))
    seconds = 60.0 / float(tempo)
    for part in parts:
        track = pretty_midi.Instrument(program=part.program, is_drum=part.is_drum, name=part.name.capitalize())
        track.notes = [pretty_midi.Note(velocity=v, pitch=p, start=s * seconds, end=(s + d) * seconds) for s, d, p, v in part.notes]
        midi.instruments.append(track)
    midi.write(str(path))
    return Path(path)


def arrangement_roll(parts: list[Part], bars: list[float], bar_beats: float) -> Image.Image:
    """The piano roll of an arrangement, each part in its colour (arrange.COLOURS), drums in a lane below."""
    spans = [(s * 4, d * 4, p, COLOURS[part.name]) for part in parts if not part.is_drum for s, d, p, _ in part.notes]
    drums = [(s * 4, COLOURS["drums"]) for part in parts if part.is_drum for s, *_ in part.notes]
    return spans_roll(spans, [b * 4 for b in bars], bar_beats * 4, drums=drums)
