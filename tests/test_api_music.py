"""Text → Music through the API, with the shipped tagger and mood models."""

import hashlib
from pathlib import Path

import mido
import pytest
import soundfile as sf
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
    assert set(result["scores"]) == {"happy", "sad", "calm", "tense", "triumphant"}
    assert abs(sum(result["scores"].values()) - 1) < 1e-3
    assert result["mood"] == mood == max(result["scores"], key=result["scores"].get)


@pytest.mark.parametrize("text, message", [("", "empty"), ("   ", "empty"), ("🎉🎉 123", "no words"), ("a" * 600, "600 characters"),
                                           ("x\ud800y" if False else 42, "must be text")])
def test_tag_mood_bad_text(client, text, message):
    with pytest.raises(AppError, match=message):
        client.predict(text, api_name="/tag_mood")


def tracks(path) -> dict[str, list]:
    """A type-1 MIDI file's tracks by name: their note-ons and program changes."""
    return {next((m.name for m in track if m.type == "track_name"), ""): [m for m in track if m.type in ("note_on", "program_change")]
            for track in mido.MidiFile(path).tracks}


def notes_of(track: list) -> list:
    return [m for m in track if m.type == "note_on" and m.velocity]


def music(client, **overrides):
    args = dict(text="a quiet lake at dawn", seconds=6, seed=1)
    args.update(overrides)
    return client.predict(**args, api_name="/text_to_music")


def test_text_to_music_gives_audio_midi_and_a_piano_roll(client):
    result = music(client)
    assert result["mood"] == "calm" and result["scores"]["calm"] == max(result["scores"].values())
    audio = sf.info(result["audio"])
    assert audio.format == "OGG" and audio.duration > 6 and Path(result["audio"]).stat().st_size < 200_000
    notes = notes_of(tracks(result["midi"])["Melody"])
    assert len(notes) >= 4 == len(notes[:4]) and Path(result["piano_roll"]).is_file() and "BPM" in result["summary"]
    assert result["seed"] == 1 and result["notes"] >= 4
    again = music(client)["midi"]
    assert hashlib.sha256(Path(result["midi"]).read_bytes()).digest() == hashlib.sha256(Path(again).read_bytes()).digest()


def test_a_text_alone_is_enough_and_each_call_is_a_new_variation(client):
    first, second = (client.predict("a quiet lake at dawn", seconds=4, api_name="/text_to_music") for _ in range(2))
    assert first["seed"] != second["seed"]  # -1 by default: a new seed each time, reported


def test_mood_override_tempo_instrument_and_primer(client):
    result = music(client, mood="tense", tempo=150, instrument=40, primer_notes="A3 C4 E4")
    assert "program 1" in music(client, mood="calm", instrument=1)["summary"]  # any GM program, not only the listed ones
    assert result["scores"] is None and "150 BPM" in result["summary"] and "Violin" in result["summary"]
    track = tracks(result["midi"])["Melody"]
    assert any(m.type == "program_change" and m.program == 40 for m in track)
    assert [m.note for m in notes_of(track)][:3] == [57, 60, 64]


@pytest.mark.parametrize(
    "overrides, message",
    [(dict(mood="angry"), "angry"), (dict(seconds=0), "seconds must be from 1"), (dict(seconds=900), "900"), (dict(tempo=999), "999"),
     (dict(instrument=200), "200"), (dict(instrument="①"), "instrument must be a whole number"), (dict(temperature=9), "9"), (dict(seed=-4), "-4"),
     (dict(primer_notes="C4 X9"), "X9"), (dict(primer_notes="C١"), "C١"), (dict(text=""), "empty"),
     (dict(primer="/etc/passwd"), "uploaded")],
)
def test_text_to_music_bad_input(client, overrides, message):
    with pytest.raises(AppError, match=message):
        music(client, **overrides)


def test_a_broken_primer_file_is_a_sentence(client, tmp_path):
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd garbage")
    with pytest.raises(AppError, match="not a readable MIDI") as caught:
        music(client, primer=handle_file(str(broken)))
    assert "Error" not in str(caught.value).replace("AppError", "")


def test_compare_tags_the_text_and_runs_every_mood(client):
    result = client.predict("a walk in the park", 5, 2, api_name="/compare_music")
    assert result["mood"] in result["scores"] and [r["mood"] for r in result["results"]] == list(result["scores"])
    assert all(Path(r["audio"]).is_file() and Path(r["piano_roll"]).is_file() and r["seed"] == 2 for r in result["results"])
    with pytest.raises(AppError, match="empty"):
        client.predict("", api_name="/compare_music")
