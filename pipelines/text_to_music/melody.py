"""A user's melody, read from a MIDI file (pretty_midi) or typed ("E4 E4 F4 G4/2"), checked, in beats.

    melody = read_melody_file(path)          # or parse_melody_notes("C4 D4 E4/2 R G4/1.5")
    melody.notes                             # [(start beat, length in beats, MIDI pitch)], exactly as given

Typed notes follow one another: a letter, an optional # or b, an octave (C4 = middle C), and optionally
"/" and a length in beats (quarter notes; 1 when left out): G4/2 is a half note, F#4/0.5 an eighth;
R is a rest. A file keeps its notes' own onsets and lengths (the first note may start after a rest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.common.validation import UserInputError, quote
from pipelines.text_to_music.tokens import TIME_SIGNATURES, Note, Piece

MAX_MELODY_NOTES = 512  # a song's tune is far shorter; more is not a melody to harmonise on this machine
MAX_MELODY_BEATS = 256  # 64 bars of 4/4: under 5 minutes at the slowest mood's tempo
MAX_FILE_BYTES = 1_000_000
SINGABLE = (36, 96)  # C2 … C7: a melody lower or higher than this is not one a voice or a lead instrument carries
NOTE = re.compile(r"^(?:([A-Ga-g])([#b]?)(-?[0-9])|([Rr]))(?:/([0-9]+(?:\.[0-9]+)?))?$")  # ASCII digits only
SEMITONE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@dataclass(frozen=True)
class Melody:
    notes: tuple[tuple[float, float, int], ...]  # (start beat, length in beats, MIDI pitch), by start
    time_signature: str = "4/4"

    def as_piece(self) -> Piece:
        """On the sixteenth grid (for the harmony model's ears; the notes themselves stay as they are)."""
        bar = Piece(self.time_signature).bar_length
        notes = [Note(round(s * 4), max(1, round(d * 4)), p) for s, d, p in self.notes]
        end = max(n.start + n.duration for n in notes)
        return Piece(self.time_signature, list(range(0, end, bar)), notes)


def note_pitch(letter: str, accidental: str, octave: str) -> int:
    return 12 * (int(octave) + 1) + SEMITONE[letter.upper()] + {"#": 1, "b": -1, "": 0}[accidental]


def check_count(count: int, limit: int) -> None:
    if count > limit:
        raise UserInputError("music.melody_long", f"{count:,} notes; at most {limit} are harmonised",
                             "음이 {count:,}개입니다. 최대 {limit}개까지 화음을 붙입니다.", count=count, limit=limit)


def parse_melody_notes(text: str, limit: int = MAX_MELODY_NOTES) -> Melody:
    """Typed notes → a melody (see the module's doc); a sentence for anything that is not a note."""
    names = str(text).replace(",", " ").split()
    if not names:
        raise UserInputError("music.no_melody", "type a melody, e.g. 'E4 E4 F4 G4/2', or upload a MIDI file",
                             "'E4 E4 F4 G4/2'처럼 선율을 적거나 MIDI 파일을 올려 주세요.")
    check_count(len(names), limit)
    notes, beat = [], 0.0
    for name in names:
        match = NOTE.match(name)
        length = float(match.group(5)) if match and match.group(5) else 1.0
        if not match or not 0.125 <= length <= 16:
            raise UserInputError("music.note", f"{quote(name)} is not a note: write a letter, an optional # or b, an octave "
                                 "and, if you like, /length in beats, e.g. C4, F#3/0.5, Bb4/2, or R for a rest",
                                 "{value}은(는) 음이 아닙니다. 음이름, 필요하면 # 또는 b, 옥타브, 원하면 /박 길이를 차례로 쓰세요. "
                                 "예: C4, F#3/0.5, Bb4/2, 쉼표는 R", value=quote(name))
        if not match.group(4):
            notes.append((beat, length, note_pitch(*match.group(1, 2, 3))))
        beat += length
    return check_melody(Melody(tuple(notes)))


def read_melody_file(path: str | Path) -> Melody:
    """A monophonic MIDI file → a melody (onsets and lengths in beats, as written)."""
    import pretty_midi

    path = Path(path)
    if not path.is_file():
        raise UserInputError("music.melody_missing", "the melody must be an uploaded MIDI file", "선율은 업로드한 MIDI 파일이어야 합니다.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UserInputError("music.melody_large", f"the melody file is {path.stat().st_size // 1024:,} kB; at most "
                             f"{MAX_FILE_BYTES // 1000:,} kB", "선율 파일이 {size:,} kB입니다. 최대 {limit:,} kB까지 받습니다.",
                             size=path.stat().st_size // 1024, limit=MAX_FILE_BYTES // 1000)
    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception:  # mido and pretty_midi raise many kinds for a damaged file
        raise UserInputError("music.midi_unreadable", "the melody is not a readable MIDI file",
                             "선율이 읽을 수 있는 MIDI 파일이 아닙니다.") from None
    pitched = [n for track in midi.instruments if not track.is_drum for n in track.notes]
    if not pitched:
        raise UserInputError("music.melody_empty", "the MIDI file has no notes to harmonise (only drums, or nothing)",
                             "MIDI 파일에 화음을 붙일 음이 없습니다(드럼뿐이거나 비어 있습니다).")
    check_count(len(pitched), MAX_MELODY_NOTES)
    beat = lambda seconds: midi.time_to_tick(seconds) / midi.resolution  # noqa: E731 (seconds → beats, tempo changes included)
    notes = sorted((round(beat(n.start), 4), round(beat(n.end) - beat(n.start), 4), n.pitch) for n in pitched)
    signature = midi.time_signature_changes[0] if midi.time_signature_changes else None
    meter = f"{signature.numerator}/{signature.denominator}" if signature else "4/4"
    return check_melody(Melody(tuple(notes), meter if meter in TIME_SIGNATURES else "4/4"))


def check_melody(melody: Melody) -> Melody:
    """One line (no two notes sounding together), of a singable range and a length this machine harmonises."""
    notes = melody.notes
    together = sum(1 for (s1, d1, _), (s2, _, _) in zip(notes, notes[1:]) if s2 < s1 + d1 - 0.05)
    if together > max(1, len(notes) // 20):  # a legato overlap here and there is a melody; chords are not
        raise UserInputError("music.melody_chords", f"the melody has {together:,} places where notes sound together: "
                             "give one line, one note at a time", "선율에 음이 겹치는 곳이 {count:,}군데 있습니다. "
                             "한 번에 한 음씩, 한 줄의 선율을 주세요.", count=together)
    low, high = min(p for _, _, p in notes), max(p for _, _, p in notes)
    if low < SINGABLE[0] or high > SINGABLE[1]:
        raise UserInputError("music.melody_range", f"the melody runs from MIDI {low} to {high}; a melody to harmonise stays "
                             f"within {SINGABLE[0]}–{SINGABLE[1]} (C2–C7)", "선율의 음역이 MIDI {low}–{high}입니다. 화음을 "
                             "붙일 선율은 {a}–{b}(C2–C7) 안에 있어야 합니다.", low=low, high=high, a=SINGABLE[0], b=SINGABLE[1])
    if notes[-1][0] + notes[-1][1] > MAX_MELODY_BEATS:
        raise UserInputError("music.melody_beats", f"the melody lasts {notes[-1][0] + notes[-1][1]:,.0f} beats; at most "
                             f"{MAX_MELODY_BEATS}", "선율 길이가 {beats:,.0f}박입니다. 최대 {limit}박까지 받습니다.",
                             beats=notes[-1][0] + notes[-1][1], limit=MAX_MELODY_BEATS)
    return melody
