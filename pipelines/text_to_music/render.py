"""A piece as sound (tinysoundfont + the General MIDI SoundFont bundled in pretty_midi) and as a picture."""

from __future__ import annotations

import importlib.util
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipelines.text_to_music.tokens import Piece

SAMPLE_RATE = 44100
TAIL_SECONDS = 1.5  # let the last notes ring out
OGG_BLOCK = 5 * SAMPLE_RATE  # frames per write to the Vorbis encoder (see render_audio)


@lru_cache(maxsize=1)
def soundfont_path() -> Path:
    """TimGM6mb.sf2 inside the pretty_midi package (found without importing pretty_midi)."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the General MIDI SoundFont comes with pretty_midi: pip install pretty_midi")
    return Path(spec.submodule_search_locations[0]) / "TimGM6mb.sf2"


def render_audio(midi_path: str | Path, wav_path: str | Path, seconds: float) -> Path:
    """Synthesize a MIDI file to `seconds` of stereo audio plus a short tail: Ogg Vorbis when the path
    ends in .ogg (what the app serves: about a tenth of the WAV's size), else a 16-bit WAV."""
    import tinysoundfont  # a 200 kB compiled synth; imported on first use

    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE)
    synth.sfload(str(soundfont_path()))
    sequencer = tinysoundfont.Sequencer(synth)
    sequencer.midi_load(str(midi_path))
    samples = int((seconds + TAIL_SECONDS) * SAMPLE_RATE)
    audio = np.frombuffer(synth.generate(samples), dtype=np.float32).reshape(-1, 2)
    peak = float(np.abs(audio).max())
    if peak > 0:
        audio = audio * min(1.0, 0.9 / peak) if peak > 0.9 else audio * min(4.0, 0.5 / peak)  # steady loudness
    if Path(wav_path).suffix == ".ogg":
        import soundfile  # libsndfile, bundled with the wheel

        # In blocks: one soundfile.write of about 49 s or more of stereo audio segfaults inside libsndfile's
        # Vorbis encoder (soundfile 0.14.0's libsndfile 1.2.2), ending the server for everyone.
        with soundfile.SoundFile(str(wav_path), "w", SAMPLE_RATE, 2, format="OGG", subtype="VORBIS") as f:
            for start in range(0, len(audio), OGG_BLOCK):
                f.write(audio[start:start + OGG_BLOCK].clip(-1, 1))
        return Path(wav_path)
    with wave.open(str(wav_path), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(SAMPLE_RATE)
        f.writeframes((audio.clip(-1, 1) * 32767).astype("<i2").tobytes())
    return Path(wav_path)


NAMED = ((0, 2, 4, 5, 7, 9, 11), (0, 4, 7))  # pitch classes to name where they fit: white keys, else C E G
LABEL_FONT = 12  # pixels; the roll is shown at about 0.8× on a phone


def named_pitches(low: int, high: int, row_height: float, text_height: int = LABEL_FONT) -> list[int]:
    """The pitches from `low` to `high` named on the left: the most of NAMED whose names do not overlap, else each C."""
    for classes in NAMED:
        pitches = [p for p in range(low, high + 1) if p % 12 in classes]
        if all((b - a) * row_height >= text_height for a, b in zip(pitches, pitches[1:])):
            return pitches
    return [p for p in range(low, high + 1) if p % 12 == 0]


Span = tuple[float, float, int, tuple[int, int, int]]  # start and length (sixteenths), MIDI pitch, colour
DRUM_LANE = 14  # pixels at the bottom for the drums' hits, when there are drums


def piano_roll(piece: Piece, width: int = 900, height: int = 300, colour: tuple = (79, 70, 229)) -> Image.Image:
    """A piece's notes, in one colour (see spans_roll)."""
    bars = list(piece.bars or range(0, max(piece.length, 1), piece.bar_length))
    return spans_roll([(n.start, n.duration, n.pitch, colour) for n in piece.notes], bars, piece.bar_length, width, height)


def spans_roll(spans: list[Span], bars: list[float], bar_length: float, width: int = 900, height: int = 300,
               drums: list[tuple[float, tuple[int, int, int]]] = ()) -> Image.Image:
    """Notes as bars on a pitch × time grid (sixteenths), each in its part's colour: white keys (or as many as fit)
    named on the left (C4 = middle C), each bar numbered along the top, the drums' hits as ticks in a lane at the
    bottom; the pitch range fits the notes."""
    import pretty_midi  # for its note names; only here, as the app needs the package for its SoundFont alone

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=LABEL_FONT)
    if not spans:
        draw.text((10, height // 2), "(no notes)", fill="gray", font=font)
        return image
    left, top, bottom = 34, 16, DRUM_LANE if drums else 0  # room for note names, bar numbers, the drum lane
    low, high = min(s[2] for s in spans) - 2, max(s[2] for s in spans) + 2
    length = max(max(s[0] + s[1] for s in spans), max((t for t, _ in drums), default=0), 1)
    x_scale, y_scale = (width - left - 2) / length, (height - top - bottom - 2) / (high - low + 1)

    def y_of(pitch: int) -> float:
        return height - bottom - 1 - (pitch - low + 1) * y_scale

    for pitch in range(low, high + 1):  # black keys shaded, as on a keyboard; a line under each C
        if pitch % 12 in (1, 3, 6, 8, 10):
            draw.rectangle([left, y_of(pitch), width, y_of(pitch) + y_scale], fill=(243, 244, 246))
        if pitch % 12 == 0:
            draw.line([(left, y_of(pitch) + y_scale), (width, y_of(pitch) + y_scale)], fill=(229, 231, 235))
    for pitch in named_pitches(low, high, y_scale):
        draw.text((2, y_of(pitch) + y_scale / 2), pretty_midi.note_number_to_name(pitch), anchor="lm",
                  fill=(55, 65, 81) if pitch % 12 == 0 else (107, 114, 128), font=font)
    for number, bar in enumerate(bars, 1):
        x = left + bar * x_scale
        draw.line([(x, top), (x, height)], fill=(209, 213, 219))
        if number == 1 or x_scale * bar_length > 28 or number % 4 == 1:  # numbers only where they fit
            draw.text((x + 2, 1), str(number), fill=(107, 114, 128), font=font)
    for start, duration, pitch, colour in spans:
        x0, y0 = left + 1 + start * x_scale, y_of(pitch)
        draw.rectangle([x0, y0, max(x0 + 1, x0 + duration * x_scale - 1), y0 + max(y_scale - 1, 1)], fill=colour)
    for start, colour in drums:
        x = left + 1 + start * x_scale
        draw.line([(x, height - bottom + 3), (x, height - 3)], fill=colour, width=2)
    return image
