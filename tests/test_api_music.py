"""Text → Music through the API, with the shipped tagger and mood models."""

import hashlib
from pathlib import Path

import mido
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

CLEAR_CASES = [
    ("sunny picnic with friends, everyone dancing", "happy"),
    ("something is following me in the dark forest", "tense"),
    ("the hero raises the flag on the summit", "triumphant"),
    ("그 사람이 떠난 뒤 텅 빈 방", "sad"),
    ("친구들과 신나게 춤추는 생일 파티", "happy"),
    ("어두운 복도 끝에서 발소리가 들린다", "tense"),
]


@pytest.mark.parametrize("text, mood", CLEAR_CASES)
def test_tag_mood_in_both_languages(client, text, mood):
    result = client.predict(text, api_name="/tag_mood")
    scores = {c["label"].split(" · ")[0]: c["confidence"] for c in result["confidences"]}
    assert set(scores) == {"happy", "sad", "calm", "tense", "triumphant"}
    assert abs(sum(scores.values()) - 1) < 1e-3
    assert max(scores, key=scores.get) == mood


@pytest.mark.parametrize("text, message", [("", "empty"), ("   ", "empty"), ("🎉🎉 123", "no words"), ("a" * 600, "600 characters")])
def test_tag_mood_bad_text(client, text, message):
    with pytest.raises(AppError, match=message):
        client.predict(text, api_name="/tag_mood")


def music(client, **overrides):
    args = dict(text="a quiet lake at dawn", mood="auto", seconds=6, temperature=0.9, top_k=0, seed=1, tempo=0, instrument=-1,
                primer=None, primer_notes="")
    args.update(overrides)
    return client.predict(**args, api_name="/text_to_music")


def test_text_to_music_gives_audio_midi_and_a_piano_roll(client):
    label, audio, midi, roll, info = music(client)
    assert label["label"].startswith("calm")
    assert Path(audio).stat().st_size > 44100  # over a quarter second of 16-bit stereo
    notes = [m for m in mido.MidiFile(midi).tracks[0] if m.type == "note_on" and m.velocity]
    assert len(notes) >= 4 and Path(roll).is_file() and "BPM" in info
    again = music(client)[2]
    assert hashlib.sha256(Path(midi).read_bytes()).digest() == hashlib.sha256(Path(again).read_bytes()).digest()


def test_mood_override_tempo_instrument_and_primer(client):
    label, _, midi, _, info = music(client, mood="tense", tempo=150, instrument=40, primer_notes="A3 C4 E4")
    assert "program 1" in music(client, mood="calm", instrument=1)[4]  # any GM program, not only the listed ones
    assert "chosen" in label["label"] and "150 BPM" in info and "Violin" in info
    track = mido.MidiFile(midi).tracks[0]
    assert any(m.type == "program_change" and m.program == 40 for m in track)
    assert [m.note for m in track if m.type == "note_on" and m.velocity][:3] == [57, 60, 64]


@pytest.mark.parametrize(
    "overrides, message",
    [(dict(mood="angry"), "angry"), (dict(seconds=0), "less than minimum value 1"), (dict(seconds=900), "900"), (dict(tempo=999), "999"),
     (dict(instrument=200), "200"), (dict(temperature=9), "9"), (dict(seed=-4), "-4"), (dict(primer_notes="C4 X9"), "X9"),
     (dict(text=""), "empty")],
)
def test_text_to_music_bad_input(client, overrides, message):
    with pytest.raises(AppError, match=message):
        music(client, **overrides)


def test_a_broken_primer_file_is_a_sentence(client, tmp_path):
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd garbage")
    with pytest.raises(AppError, match="not a readable MIDI"):
        music(client, primer=handle_file(str(broken)))


def test_compare_runs_every_mood(client):
    outputs = client.predict("a walk in the park", 5, 2, api_name="/compare_music")
    assert len(outputs) == 10 and all(Path(p).is_file() for p in outputs)
