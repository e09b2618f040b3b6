"""The arrangement (#19): the harmony model's training, the parts each mood plays, and "harmonize my melody"."""

from pathlib import Path

import numpy as np
import pretty_midi
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from pipelines.common.checkpoint import read_record
from pipelines.common.config import get_settings
from pipelines.common.validation import UserInputError
from pipelines.text_to_music.arrange import ENSEMBLES, PARTS
from pipelines.text_to_music.harmony import train
from pipelines.text_to_music.harmony.grid import melody_grid, voice_notes
from pipelines.text_to_music.melody import parse_melody_notes, read_melody_file
from pipelines.text_to_music.moods import MOODS, SIGNATURES, find_key
from pipelines.text_to_music.pipeline import HarmonizeRequest, MusicCompareRequest, MusicRequest, get_pipeline
from pipelines.text_to_music.tokens import Note, Piece

ODE = "E4 E4 F4 G4 G4 F4 E4 D4 C4 C4 D4 E4 E4/1.5 D4/0.5 D4/2 E4 E4 F4 G4 G4 F4 E4 D4 C4 C4 D4 E4 D4/1.5 C4/0.5 C4/2"


def tiny_corpus(path: Path) -> Path:
    """Twelve made-up four-voice pieces in the corpus file's layout (the real one needs music21's corpus)."""
    rng = np.random.default_rng(0)
    pieces = [np.stack([s, s - 4, s - 9, s - 19]).astype(np.int16) for s in (67 + rng.integers(-5, 5, 40 + i) for i in range(12))]
    np.savez_compressed(path, voices=np.concatenate(pieces, 1), offsets=np.cumsum([0] + [p.shape[1] for p in pieces]),
                        positions=np.concatenate([np.arange(p.shape[1]) % 8 for p in pieces]).astype(np.int16),
                        names=np.array([f"bwv{i}" if i % 2 else f"other{i}" for i in range(12)]),
                        held_out=np.array([i % 4 == 0 for i in range(12)]))
    return path


@pytest.mark.parametrize("arch", ["ar", "coconet"])
def test_training_runs_a_few_steps_reproducibly_and_keeps_its_state(tmp_path, arch):
    corpus = tiny_corpus(tmp_path / "corpus.npz")
    small = ["--arch", arch, "--batch-size", "4", "--window", "16", "--hidden", "32", "--embed", "16", "--channels", "8",
             "--conv-layers", "2", "--log-every", "2", "--eval-every", "2", "--corpus", str(corpus), "--iterations", "4"]
    straight = train.main(small + ["--out", str(tmp_path / "straight")])
    train.main(small + ["--out", str(tmp_path / "first"), "--state", str(tmp_path / "s.pt")])
    assert (tmp_path / "s.pt").is_file()
    record = read_record(straight)
    assert record["args"]["arch"] == arch and record["held_out"]["held_out_nll"] > 0 and len(record["history"]) == 2
    weights = [(tmp_path / name / "model.safetensors").read_bytes() for name in ("straight", "first")]
    assert weights[0] == weights[1]  # seeded: the same run twice gives the same weights


def test_typed_notes_keep_their_lengths_and_rests():
    melody = parse_melody_notes("C4 D4/0.5 R/0.5 E4/2 F#4")
    assert melody.notes == ((0.0, 1.0, 60), (1.0, 0.5, 62), (2.0, 2.0, 64), (4.0, 1.0, 66))


@pytest.mark.parametrize("text, message", [("", "type a melody"), ("C4 H4", "'H4' is not a note"), ("C4/0", "not a note"),
                                           ("C4 " * 10_000, "10,000 notes"), ("C0 D0", "MIDI 12 to 14"),
                                           ("C4 " + "x" * 300, "is not a note")])
def test_typed_melodies_that_are_not_melodies_get_a_sentence(text, message):
    with pytest.raises(UserInputError, match=message) as caught:
        parse_melody_notes(text)
    assert len(str(caught.value)) < 260  # nothing echoed at length


def midi_file(path: Path, notes: list[tuple[float, float, int]], drum: bool = False, tempo: float = 100) -> Path:
    midi = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    track = pretty_midi.Instrument(0, is_drum=drum)
    track.notes = [pretty_midi.Note(90, p, s * 60 / tempo, (s + d) * 60 / tempo) for s, d, p in notes]
    midi.instruments.append(track)
    midi.write(str(path))
    return path


def test_files_that_are_not_melodies_get_a_sentence(tmp_path):
    cases = {"drums": (midi_file(tmp_path / "d.mid", [(0, 1, 36), (1, 1, 38)], drum=True), "only drums"),
             "empty": (midi_file(tmp_path / "e.mid", []), "only drums, or nothing"),
             "chords": (midi_file(tmp_path / "c.mid", [(b, 1, p) for b in range(8) for p in (60, 64, 67)]), "sound together"),
             "long": (midi_file(tmp_path / "l.mid", [(b / 4, 0.25, 60) for b in range(10_000)]), "10,000 notes")}
    for name, (path, message) in cases.items():
        with pytest.raises(UserInputError, match=message):
            read_melody_file(path)


def test_a_melody_file_keeps_its_onsets_in_beats(tmp_path):
    notes = [(1.5, 0.5, 67), (2.0, 1.0, 69), (3.0, 0.75, 71), (3.75, 0.25, 72)]  # a pickup after a rest, a dotted rhythm
    assert read_melody_file(midi_file(tmp_path / "m.mid", notes, tempo=73)).notes == tuple(notes)


def test_the_grid_hears_the_top_line_and_voices_hold_their_notes():
    melody, positions = melody_grid(Piece("3/4", [0, 12], [Note(0, 4, 60), Note(4, 2, 64), Note(6, 2, 62), Note(12, 8, 67)]))
    assert melody.tolist()[:8] == [60, 60, 64, 62, 0, 0, 67, 67] and positions.tolist()[:8] == [0, 1, 2, 3, 4, 5, 0, 1]
    assert voice_notes(np.array([[55, 48], [55, 48], [57, 0]]))[0] == [Note(0, 4, 55), Note(4, 2, 57)]


@pytest.mark.parametrize("mood", MOODS)
def test_every_mood_is_an_arrangement_that_keeps_its_mode(mood):
    result = get_pipeline().compose(MusicRequest(mood=mood, seconds=12, seed=2))
    midi = pretty_midi.PrettyMIDI(str(result.midi_path))
    names = [track.name for track in midi.instruments]
    assert len(names) >= 3 and names[:3] == ["Melody", "Harmony", "Bass"] and ("Drums" in names) == bool(ENSEMBLES[mood].groove)
    assert all(track.is_drum == (track.name == "Drums") and track.notes for track in midi.instruments)
    pitched = [Note(round(n.start * 8), max(1, round((n.end - n.start) * 8)), n.pitch) for t in midi.instruments if not t.is_drum for n in t.notes]
    if find_key(result.piece).mode == SIGNATURES[mood].mode:  # a melody in its mood's mode keeps it, arranged
        assert find_key(Piece("4/4", [], pitched)).mode == SIGNATURES[mood].mode
    melody = result.parts[0].notes
    for part in result.parts[1:3]:  # every harmony and bass note starts below the melody sounding then
        assert all(p < m for s, _, p, _ in part.notes for ms, md, m, _ in melody if ms <= s < ms + md and ms % 0.5 == 0)


def test_a_part_left_out_is_not_played_and_instruments_follow_the_request():
    result = get_pipeline().compose(MusicRequest(mood="happy", seconds=8, seed=1, parts=("melody", "bass"), bass_instrument=33))
    assert [(p.name, p.program) for p in result.parts] == [("melody", 0), ("bass", 33)]
    with pytest.raises(UserInputError, match="part must be one of"):
        MusicRequest(parts=["melody", "kazoo"])


def test_harmonize_keeps_every_note_and_adds_three_instruments(client, tmp_path):
    given = read_melody_file(midi_file(tmp_path / "ode.mid", list(parse_melody_notes(ODE).notes)))
    result = client.predict(melody=handle_file(str(tmp_path / "ode.mid")), mood="auto", seed=5, api_name="/harmonize")
    midi = pretty_midi.PrettyMIDI(result["midi"])
    melody = next(t for t in midi.instruments if t.name == "Melody")
    beats = [(round(midi.time_to_tick(n.start) / midi.resolution, 3), n.pitch) for n in melody.notes]
    assert beats == [(s, p) for s, _, p in given.notes]
    assert len({t.name for t in midi.instruments}) >= 3 and result["mood"] in ("happy", "calm", "triumphant")  # major
    assert [p["part"] for p in result["parts"]][:3] == ["melody", "harmony", "bass"] and Path(result["audio"]).is_file()


@pytest.mark.parametrize("kwargs, message", [(dict(melody_notes="do re mi"), "'do' is not a note"), (dict(), "type a melody"),
                                             (dict(melody_notes="C4", mood="angry"), "angry"), (dict(melody_notes="C4", parts=[]), "at least one")])
def test_harmonize_bad_input(client, kwargs, message):
    with pytest.raises(AppError, match=message):
        client.predict(**kwargs, api_name="/harmonize")


def test_every_part_switch_and_mood_can_be_harmonized():
    for mood in MOODS:
        for part in PARTS:
            request = HarmonizeRequest(melody_notes="C4 D4 E4 G4/2", mood=mood, parts=(part,), seed=1)
            if part == "drums" and not ENSEMBLES[mood].groove:
                with pytest.raises(UserInputError, match="has no drums"):
                    get_pipeline().harmonize(request)
                continue
            result = get_pipeline().harmonize(request)
            assert [p.name for p in result.parts] == [part] and result.audio_path.is_file()


@pytest.fixture
def musicgen_at(monkeypatch):
    def point(folder: Path) -> None:
        monkeypatch.setenv("GS_MUSICGEN_MODEL", str(folder))
        get_settings.cache_clear()

    yield point
    monkeypatch.undo()
    get_settings.cache_clear()


def test_musicgen_where_its_weights_are_and_a_sentence_where_not(tmp_path, musicgen_at):
    from tests.tiny_musicgen import save_tiny_musicgen

    musicgen_at(tmp_path / "absent")
    with pytest.raises(UserInputError, match="not downloaded"):
        get_pipeline().compose(MusicRequest(mood="sad", model="musicgen", seconds=2))
    musicgen_at(save_tiny_musicgen(tmp_path / "musicgen"))
    result = get_pipeline().compose(MusicRequest(text="a rainy goodbye", mood="sad", model="musicgen", seconds=2, seed=4))
    assert result.midi_path is None and result.parts == [] and result.timings["musicgen"] > 0
    import soundfile

    assert 1.5 < soundfile.info(str(result.audio_path)).duration < 3
    compared = get_pipeline().compare(MusicCompareRequest(text="a rainy goodbye at the station", seconds=2, seed=4))
    assert compared.musicgen is not None and compared.musicgen.mood == compared.mood
