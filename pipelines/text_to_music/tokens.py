"""The event vocabulary: pieces ↔ token ids, and pieces ↔ MIDI files (mido).

A piece is a time signature, the start of each bar and a list of notes, all on a grid of
sixteenth notes. It is written as

    BOS TS_<n>/<d>  BAR POS_<p> PITCH_<m> DUR_<d> [PITCH_<m> DUR_<d> …]  POS_<p> …  BAR …  EOS

POS is the note's place in its bar (in sixteenths), written once for all notes that start
together (a chord: the chorales); PITCH is the MIDI note (36–96, other octaves folded in);
DUR its length in sixteenths (1–16, 24, 32, rounded to the nearest). Tempo is not a token:
it is chosen when the piece is played. A round trip piece → tokens → piece keeps every note
that is on the grid and in range.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

import mido

from pipelines.common.validation import UserInputError

STEPS_PER_QUARTER = 4  # the grid: sixteenth notes
PITCH_RANGE = (36, 96)
DURATIONS = tuple(range(1, 17)) + (24, 32)
TIME_SIGNATURES = ("2/4", "3/4", "4/4", "2/2", "3/8", "6/8", "9/8", "12/8", "3/2", "6/4")
MAX_POSITION = 24  # positions 0..23: every bar of the meters above fits

SPECIALS = ("PAD", "BOS", "EOS", "BAR")
VOCAB: tuple[str, ...] = (
    SPECIALS
    + tuple(f"TS_{ts}" for ts in TIME_SIGNATURES)
    + tuple(f"POS_{p}" for p in range(MAX_POSITION))
    + tuple(f"PITCH_{m}" for m in range(PITCH_RANGE[0], PITCH_RANGE[1] + 1))
    + tuple(f"DUR_{d}" for d in DURATIONS)
)
TOKEN_ID = {token: i for i, token in enumerate(VOCAB)}
PAD, BOS, EOS, BAR = (TOKEN_ID[s] for s in SPECIALS)


@dataclass(frozen=True)
class Note:
    start: int  # sixteenths from the start of the piece
    duration: int  # sixteenths, >= 1
    pitch: int  # MIDI note number


@dataclass
class Piece:
    time_signature: str = "4/4"
    bars: list[int] = field(default_factory=list)  # start of each bar, in sixteenths, increasing
    notes: list[Note] = field(default_factory=list)

    @property
    def bar_length(self) -> int:
        num, den = map(int, self.time_signature.split("/"))
        return num * 16 // den

    @property
    def length(self) -> int:
        return max((n.start + n.duration for n in self.notes), default=0)


def fold_pitch(pitch: int) -> int:
    while pitch < PITCH_RANGE[0]:
        pitch += 12
    while pitch > PITCH_RANGE[1]:
        pitch -= 12
    return pitch


def nearest_duration(duration: int) -> int:
    return min(DURATIONS, key=lambda d: (abs(d - duration), d))


def encode(piece: Piece) -> list[int]:
    """Piece → token ids. Raises ValueError for a meter or bar layout the vocabulary cannot write."""
    if piece.time_signature not in TIME_SIGNATURES:
        raise ValueError(f"time signature {piece.time_signature!r} is not in the vocabulary {TIME_SIGNATURES}")
    bars = piece.bars or list(range(0, max(piece.length, 1), piece.bar_length))
    ids = [BOS, TOKEN_ID[f"TS_{piece.time_signature}"]]
    notes = sorted(piece.notes, key=lambda n: (n.start, -n.pitch))
    current_bar, current_pos = -1, -1
    for note in notes:
        bar = max(bisect.bisect_right(bars, note.start) - 1, 0)
        while current_bar < bar:
            current_bar += 1
            ids.append(BAR)
            current_pos = -1
        position = note.start - bars[bar]
        if not 0 <= position < MAX_POSITION:
            raise ValueError(f"a note starts {position} sixteenths into its bar; at most {MAX_POSITION - 1} can be written")
        if position != current_pos:
            ids.append(TOKEN_ID[f"POS_{position}"])
            current_pos = position
        ids += [TOKEN_ID[f"PITCH_{fold_pitch(note.pitch)}"], TOKEN_ID[f"DUR_{nearest_duration(note.duration)}"]]
    return ids + [EOS]


def decode(ids: list[int]) -> Piece:
    """Token ids → Piece. Tolerant: stray tokens are skipped, a PITCH without DUR gets a quarter note."""
    piece = Piece()
    bar_start, bar_index, position, pitch = 0, -1, 0, None
    for i in ids:
        token = VOCAB[i] if 0 <= i < len(VOCAB) else "PAD"
        if token == "EOS":
            break
        if token.startswith("TS_"):
            piece.time_signature = token[3:]
        elif token == "BAR":
            bar_index += 1
            bar_start = bar_index * piece.bar_length
            piece.bars.append(bar_start)
            position = 0
        elif token.startswith("POS_"):
            position = int(token[4:])
        elif token.startswith("PITCH_"):
            if pitch is not None:
                piece.notes.append(Note(bar_start + position, STEPS_PER_QUARTER, pitch))
            pitch = int(token[6:])
        elif token.startswith("DUR_") and pitch is not None:
            piece.notes.append(Note(bar_start + position, int(token[4:]), pitch))
            pitch = None
    if pitch is not None:
        piece.notes.append(Note(bar_start + position, STEPS_PER_QUARTER, pitch))
    return piece


def to_midi(piece: Piece, path: str | Path, tempo_bpm: float = 120.0, program: int = 0, velocity: int = 80) -> Path:
    """Write a one-track MIDI file: the tempo, the meter, the instrument (a General MIDI program) and the notes."""
    ticks_per_step = 120  # 480 ticks a quarter note
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    num, den = map(int, piece.time_signature.split("/"))
    events = [(0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm))),
              (0, 0, mido.MetaMessage("time_signature", numerator=num, denominator=den)),
              (0, 0, mido.Message("program_change", program=program, channel=0))]
    for note in piece.notes:
        events.append((note.start * ticks_per_step, 2, mido.Message("note_on", note=note.pitch, velocity=velocity, channel=0)))
        events.append(((note.start + note.duration) * ticks_per_step, 1, mido.Message("note_off", note=note.pitch, velocity=0, channel=0)))
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):  # note-offs before note-ons at one tick
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    path = Path(path)
    midi.save(path)
    return path


def from_midi(path: str | Path, max_notes: int = 5000, max_bars: int = 16) -> Piece:
    """Read the notes of a MIDI file onto the sixteenth grid (all tracks and channels but drums),
    moved so the first note starts the piece, keeping the first `max_bars` bars of 4/4."""
    try:
        midi = mido.MidiFile(path)
    except Exception:  # mido raises many kinds for a damaged file
        raise UserInputError("music.midi_unreadable", "the primer is not a readable MIDI file",
                             "프라이머가 읽을 수 있는 MIDI 파일이 아닙니다.") from None
    if midi.ticks_per_beat <= 0:  # SMPTE timing or a damaged header
        raise UserInputError("music.midi_timing", "the primer uses a MIDI timing this app cannot read (SMPTE)",
                             "프라이머가 이 앱이 읽을 수 없는 MIDI 시간 형식(SMPTE)을 씁니다.")
    step_ticks = midi.ticks_per_beat / STEPS_PER_QUARTER
    time_signature, notes = "4/4", []
    for track in midi.tracks:
        tick, open_notes = 0, {}
        for message in track:
            tick += message.time
            if message.type == "time_signature" and tick == 0:
                candidate = f"{message.numerator}/{message.denominator}"
                time_signature = candidate if candidate in TIME_SIGNATURES else time_signature
            elif message.type == "note_on" and message.velocity > 0 and message.channel != 9:
                open_notes[(message.channel, message.note)] = tick
            elif message.type in ("note_off", "note_on") and (message.channel, message.note) in open_notes:
                start = open_notes.pop((message.channel, message.note))
                notes.append(Note(round(start / step_ticks), max(1, round((tick - start) / step_ticks)), message.note))
                if len(notes) > max_notes:
                    raise UserInputError("music.midi_long", f"the primer has more than {max_notes} notes: upload a short one",
                                         "프라이머의 음이 {limit:,}개를 넘습니다. 짧은 파일을 올려 주세요.", limit=max_notes)
    if not notes:
        raise UserInputError("music.midi_empty", "the primer has no notes to continue", "프라이머에 이어 갈 음이 없습니다.")
    first = min(n.start for n in notes)
    notes = [Note(n.start - first, min(n.duration, 32), n.pitch) for n in notes if n.start - first < max_bars * 16]
    return Piece(time_signature, [], sorted(notes, key=lambda n: (n.start, -n.pitch)))
