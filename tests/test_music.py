"""Music pipelines on tiny models: tokens, MIDI, moods, grammar-constrained sampling, the KV cache, rendering."""

import hashlib
import json
import wave
from dataclasses import asdict

import mido
import numpy as np
import pytest
import torch

from pipelines.common import training
from pipelines.common.config import ASSETS_DIR
from pipelines.text_to_music import generate as gen
from pipelines.text_to_music import train as train_script
from pipelines.text_to_music.model import GPTConfig, MusicGPT, load_model, save_model
from pipelines.text_to_music.moods import MOODS, SIGNATURES, check_piece, features, find_key, label_piece
from pipelines.text_to_music.render import piano_roll, render_audio
from pipelines.text_to_music.tokens import BAR, EOS, TOKEN_ID, VOCAB, Note, Piece, decode, encode, from_midi, to_midi

C_MAJOR = [60, 62, 64, 65, 67, 69, 71, 72]
A_MINOR = [57, 59, 60, 62, 64, 65, 68, 69]


def scale_piece(pitches, step=4, meter="4/4", repeats=2) -> Piece:
    notes = [Note(i * step, step, p) for i, p in enumerate(pitches * repeats)]
    return Piece(meter, [], notes)


def tiny_corpus(folder, mood="calm") -> None:
    rng = np.random.default_rng(0)
    for split, n in (("train", 30), ("val", 5)):
        ids = [i for _ in range(n) for i in encode(scale_piece([int(p) for p in rng.choice(C_MAJOR, 8)]))]
        np.save(folder / f"{mood}.{split}.npy", np.asarray(ids, dtype=np.uint8))


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    return MusicGPT(GPTConfig(block_size=64, n_layer=2, n_head=2, n_embd=32, dropout=0.0)).eval()


def test_round_trip_tokens_and_midi(tmp_path):
    piece = Piece("3/4", [0, 12, 24], [Note(0, 4, 60), Note(4, 4, 64), Note(8, 4, 67), Note(12, 12, 72), Note(12, 12, 64), Note(24, 2, 62)])
    again = decode(encode(piece))
    assert sorted(again.notes, key=lambda n: (n.start, -n.pitch)) == sorted(piece.notes, key=lambda n: (n.start, -n.pitch))
    read = from_midi(to_midi(again, tmp_path / "x.mid", 100, 40))
    assert read.time_signature == "3/4" and read.notes == again.notes


def test_encode_rejects_what_it_cannot_write():
    with pytest.raises(ValueError, match="5/4"):
        encode(Piece("5/4", [], [Note(0, 4, 60)]))


def test_from_midi_refuses_garbage(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not a midi file at all")
    with pytest.raises(ValueError, match="not a readable MIDI"):
        from_midi(bad)


def test_key_finding_and_labels():
    assert find_key(scale_piece(C_MAJOR)).mode == "major" and find_key(scale_piece(C_MAJOR)).tonic == 0
    assert find_key(scale_piece(A_MINOR)).mode == "minor"
    slow_minor = scale_piece(A_MINOR, step=8, meter="3/4")
    fast_minor = scale_piece(A_MINOR, step=1, repeats=6)
    assert label_piece(slow_minor) == "sad" and label_piece(fast_minor) == "tense"
    assert features(fast_minor).density > features(slow_minor).density
    assert set(SIGNATURES) == set(MOODS) and {SIGNATURES[m].mode for m in ("happy", "triumphant", "calm")} == {"major"}


def test_kv_cache_matches_full_recompute(tiny_model):
    idx = torch.randint(0, 100, (1, 30))
    full, _, _ = tiny_model(idx)
    _, _, past = tiny_model(idx[:, :20])
    steps = []
    for i in range(20, 30):
        logits, _, past = tiny_model(idx[:, i : i + 1], past=past)
        steps.append(logits[:, -1])
    assert torch.allclose(torch.stack(steps[:-1], 1), full[:, 20:29], atol=1e-5)


def test_sampling_is_well_formed_reproducible_and_long_enough(tiny_model):
    first = gen.generate_piece(tiny_model, seconds=6, tempo=120, seed=4, top_k=10)
    again = gen.generate_piece(tiny_model, seconds=6, tempo=120, seed=4, top_k=10)
    other = gen.generate_piece(tiny_model, seconds=6, tempo=120, seed=5, top_k=10)
    assert first.tokens == again.tokens and first.tokens != other.tokens
    bar = decode(first.tokens).bar_length
    assert first.tokens[-1] == EOS and first.tokens.count(BAR) * bar >= 6 * 2 * 4 - bar  # 6 s at 120 BPM: 48 sixteenths
    assert first.piece.notes and all(n.duration >= 1 for n in first.piece.notes)
    # a window longer than block_size slides instead of failing
    long = gen.generate_piece(tiny_model, seconds=30, tempo=200, seed=1, meter="4/4")
    assert long.tokens.count(BAR) >= 20 and len(long.tokens) > tiny_model.config.block_size


def test_cache_and_recompute_sample_the_same(tiny_model):
    prompt = encode(scale_piece(C_MAJOR))[:-1]
    cached = gen.sample(tiny_model, prompt, 6, 200, seed=2, use_cache=True)
    full = gen.sample(tiny_model, prompt, 6, 200, seed=2, use_cache=False)
    assert cached[: min(len(cached), 40)] == full[: min(len(cached), 40)]


def test_primer_is_continued(tiny_model):
    primer = gen.parse_typed_notes("C4 E4 G4 C5")
    result = gen.generate_piece(tiny_model, seconds=6, tempo=120, seed=0, primer=primer)
    assert [n.pitch for n in result.piece.notes[:4]] == [60, 64, 67, 72]


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(seconds=0), "seconds"), (dict(seconds=1000), "1000"), (dict(tempo=241), "tempo"), (dict(temperature=0), "temperature"),
     (dict(top_k=-1), "top_k"), (dict(seed=-2), "seed"), (dict(seconds="ten"), "ten")],
)
def test_bad_generation_settings(kwargs, message):
    """Checked once, where the request comes in (generate_piece below it trusts them)."""
    from pipelines.text_to_music.pipeline import MusicRequest

    args = {**dict(seconds=5, tempo=120, temperature=1.0, top_k=0, seed=0), **kwargs}
    with pytest.raises(ValueError, match=message):
        MusicRequest(text="a calm sea", mood="calm", **args)


@pytest.mark.parametrize("text, message", [("", "type a few notes"), ("C4 H4", "'H4'"), ("C4 " * 40, "at most 32")])
def test_bad_typed_primer(text, message):
    with pytest.raises(ValueError, match=message):
        gen.parse_typed_notes(text)


def test_render_audio_and_piano_roll(tmp_path):
    piece = scale_piece(C_MAJOR)
    midi = to_midi(piece, tmp_path / "s.mid", 120, 0)
    wav = render_audio(midi, tmp_path / "s.wav", seconds=piece.length / 4 * 0.5)
    with wave.open(str(wav)) as f:
        frames = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
        assert f.getframerate() == 44100 and f.getnchannels() == 2
    assert np.sqrt(np.mean((frames / 32768.0) ** 2)) > 0.01  # audible, not silence
    roll = piano_roll(piece)
    assert roll.size == (900, 300) and len(set(roll.getdata())) > 2


def test_midi_bytes_are_reproducible(tiny_model, tmp_path):
    digests = []
    for name in ("a", "b"):
        piece = gen.generate_piece(tiny_model, seconds=5, tempo=100, seed=9).piece
        digests.append(hashlib.sha256(to_midi(piece, tmp_path / f"{name}.mid", 100, 0).read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_checkpoint_round_trip(tiny_model, tmp_path):
    save_model(tmp_path / "m", tiny_model, {"mood": "calm"}, half=False)
    loaded, info = load_model(tmp_path / "m")
    idx = torch.randint(0, 100, (1, 10))
    assert info["mood"] == "calm" and torch.equal(loaded(idx)[0], tiny_model(idx)[0])


def test_training_script_few_steps(tmp_path):
    tiny_corpus(tmp_path)
    args = ["--mood", "calm", "--iterations", "4", "--eval-every", "2", "--block-size", "32", "--n-embd", "16", "--n-layer", "1",
            "--n-head", "2", "--batch-size", "2", "--corpus", str(tmp_path)]
    records = [train_script.main(args + ["--out", str(tmp_path / run)]) for run in ("a", "b")]
    assert records[0]["history"] == [{**row, "seconds": records[0]["history"][i]["seconds"]} for i, row in enumerate(records[1]["history"])]
    model, info = load_model(tmp_path / "a")
    assert info["training"]["iterations"] == 4 and model.config.n_embd == 16


def test_training_script_with_transposition_and_other_sizes(tmp_path):
    defaults, _ = train_script.parse_args(["--mood", "calm"])
    config = GPTConfig()  # the one source of the model's defaults, which the shipped models use
    assert (defaults.block_size, defaults.n_layer, defaults.n_head, defaults.n_embd, defaults.dropout) == \
        (config.block_size, config.n_layer, config.n_head, config.n_embd, config.dropout) == (256, 4, 4, 128, 0.1)
    for mood in MOODS:
        shipped = json.loads((ASSETS_DIR / "music" / "models" / mood / "config.json").read_text())["model"]
        assert shipped == asdict(config)
    tiny_corpus(tmp_path)
    args = ["--mood", "calm", "--iterations", "3", "--eval-every", "3", "--transpose", "2", "--block-size", "24", "--n-embd", "16",
            "--n-layer", "1", "--n-head", "4", "--batch-size", "3", "--dropout", "0", "--lr", "3e-3", "--corpus", str(tmp_path),
            "--out", str(tmp_path / "out")]
    record = train_script.main(args)
    model, info = load_model(tmp_path / "out")
    assert record["args"]["transpose"] == 2 and info["training"]["args"]["transpose"] == 2
    assert (model.config.block_size, model.config.n_embd, model.config.n_layer, model.config.n_head) == (24, 16, 1, 4)
    assert gen.generate_piece(model, seconds=4, tempo=120, seed=0).piece.notes  # the checkpoint samples


def test_training_stopped_and_resumed_equals_straight_through(tmp_path, monkeypatch, capsys):
    """A run killed just after saving its state at iteration 10 and continued with --resume ends with the weights
    and history of a run straight through: the state holds the optimiser, the schedule (warm-up, then cosine),
    the window order and torch's RNG, which dropout draws from."""
    tiny_corpus(tmp_path)
    options = ["--mood", "calm", "--iterations", "20", "--eval-every", "5", "--block-size", "16", "--n-embd", "16", "--n-layer", "1",
               "--n-head", "2", "--batch-size", "2", "--transpose", "1", "--lr", "3e-3", "--seed", "5", "--corpus", str(tmp_path)]
    straight = train_script.main([*options, "--out", str(tmp_path / "a")])
    state, save_state = tmp_path / "state.pt", training.save_state

    def killed_after_iteration_10(path, **saved):
        save_state(path, **saved)
        if saved["step"] == 10:
            raise KeyboardInterrupt

    monkeypatch.setattr(training, "save_state", killed_after_iteration_10)
    with pytest.raises(KeyboardInterrupt):
        train_script.main([*options, "--state", str(state), "--save-every", "5", "--out", str(tmp_path / "b")])
    monkeypatch.undo()
    assert not (tmp_path / "b").exists()
    resumed = train_script.main([*options, "--state", str(state), "--resume", "--eval-every", "5", "--out", str(tmp_path / "b")])
    a, b = (load_model(tmp_path / run)[0].state_dict() for run in ("a", "b"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    without_time = [[{k: v for k, v in row.items() if k != "seconds"} for row in r["history"]] for r in (straight, resumed)]
    assert without_time[0] == without_time[1] and len(without_time[0]) == 4
    assert load_model(tmp_path / "b")[1]["training"]["args"] == straight["args"]
    for other in (["--lr", "1e-3"], ["--iterations", "30"]):  # the weights would differ: refused
        with pytest.raises(SystemExit, match="other settings"):
            train_script.main([*options, *other, "--state", str(state), "--resume", "--out", str(tmp_path / "c")])
    with pytest.raises(SystemExit):  # --mood is required: a usage error
        train_script.parse_args(["--iterations", "3"])
    assert "--mood must be one of happy, sad, calm, tense, triumphant" in capsys.readouterr().err


def test_transposition_moves_pitches_only_and_stays_in_range():
    window = torch.tensor(encode(scale_piece(C_MAJOR)))
    moved = train_script.transpose(window, 2)
    pitch = torch.tensor([VOCAB[int(t)].startswith("PITCH_") for t in window])
    assert torch.equal(moved[~pitch], window[~pitch]) and torch.equal(moved[pitch], window[pitch] + 2)
    low = torch.tensor([TOKEN_ID["PITCH_36"]])
    assert torch.equal(train_script.transpose(low, -1), low)  # below the range: the window stays as it was


def test_gpt2_conversion_gives_the_same_logits(tiny_model):
    from pipelines.text_to_music.gpt2 import to_gpt2

    gpt2 = to_gpt2(tiny_model)
    assert gpt2.lm_head.weight is gpt2.transformer.wte.weight  # tied, as model.py's
    for length in (1, 17, tiny_model.config.block_size):
        idx = torch.randint(0, len(VOCAB), (2, length))
        assert torch.allclose(gpt2(idx).logits, tiny_model(idx)[0], atol=1e-5)
    idx = torch.randint(0, len(VOCAB), (1, 30))  # and through GPT2's own KV cache
    past = gpt2(idx[:, :20], use_cache=True).past_key_values
    steps = [gpt2(idx[:, i : i + 1], past_key_values=past, use_cache=True).logits[:, -1] for i in range(20, 30)]
    assert torch.allclose(torch.stack(steps[:-1], 1), tiny_model(idx)[0][:, 20:29], atol=1e-5)


def test_gpt2_generate_samples_the_same_pieces_under_the_grammar(tiny_model):
    from pipelines.text_to_music.gpt2 import to_gpt2

    gpt2 = to_gpt2(tiny_model)
    for seed, top_k in ((0, 0), (3, 10)):  # 30 s at 200 BPM: past block_size, so the window slides
        today = gen.generate_piece(tiny_model, seconds=30, tempo=200, seed=seed, top_k=top_k, temperature=0.8)
        library = gen.generate_piece(gpt2, seconds=30, tempo=200, seed=seed, top_k=top_k, temperature=0.8)
        assert library.tokens == today.tokens and len(library.tokens) > tiny_model.config.block_size
        grammar = gen.Grammar(0)
        for token in library.tokens[1:-1]:  # every token one the grammar allowed, and a whole piece
            assert grammar.allowed()[token]
            grammar.advance(token)
        assert library.tokens[-1] == EOS and library.tokens[-2] != BAR
    again = gen.generate_piece(gpt2, seconds=6, tempo=120, seed=5)
    assert again.tokens == gen.generate_piece(gpt2, seconds=6, tempo=120, seed=5).tokens != gen.generate_piece(gpt2, seconds=6, tempo=120, seed=6).tokens
    prompt = encode(scale_piece(C_MAJOR))[:-1]
    assert gen.sample(gpt2, prompt, 6, 200, seed=2, use_cache=False) == gen.sample(gpt2, prompt, 6, 200, seed=2)


def test_gpt2_export_loads_with_auto_model(tiny_model, tmp_path):
    from transformers import AutoModelForCausalLM

    from pipelines.text_to_music.gpt2 import export, load_gpt2

    save_model(tmp_path / "old", tiny_model, {"mood": "calm"})  # float16, as the shipped models
    (tmp_path / "old" / "training_record.json").write_text("{}")
    export(tmp_path / "old", tmp_path / "gpt2")
    assert {"config.json", "model.safetensors", "training_record.json"} <= {f.name for f in (tmp_path / "gpt2").iterdir()}
    idx = torch.randint(0, len(VOCAB), (1, 40))
    old = load_model(tmp_path / "old")[0](idx)[0]
    assert torch.equal(load_gpt2(tmp_path / "gpt2")(idx).logits, old)
    plain = AutoModelForCausalLM.from_pretrained(tmp_path / "gpt2")  # what anyone on a hub would do
    assert type(plain).__name__ == "GPT2LMHeadModel" and plain.config.mood == "calm"


def test_a_bach_chorale_parses_onto_the_grid():
    music21 = pytest.importorskip("music21")
    from pipelines.text_to_music.corpus import score_to_piece

    piece, tempo = score_to_piece(music21.corpus.parse("bach/bwv66.6"))
    starts = {n.start for n in piece.notes}
    assert piece.time_signature == "4/4" and len(piece.bars) >= 8
    assert max(sum(n.start == s for n in piece.notes) for s in starts) == 4  # four voices sound together
    assert find_key(piece).mode == "minor"  # F-sharp minor, as music21's own analysis says
    assert decode(encode(piece)).notes  # and it tokenises


def test_a_piece_as_much_major_as_minor_gets_no_mood():
    ambiguous = Piece("4/4", [], [Note(4 * i, 4, [60, 64, 67, 69][i % 4]) for i in range(24)])  # C E G A, evenly
    key = find_key(ambiguous)
    assert key.margin < 0.05 and label_piece(ambiguous) is None
    assert find_key(scale_piece(A_MINOR)).margin > 0.05


def test_samples_open_their_first_bar_like_the_training_pieces(tiny_model):
    tokens = gen.generate_piece(tiny_model, seconds=4, tempo=120, seed=7).tokens
    assert tokens[0] == 1 and VOCAB[tokens[1]].startswith("TS_") and tokens[2] == BAR  # the model picks the meter
    assert gen.generate_piece(tiny_model, seconds=4, tempo=120, seed=7, meter="3/4").tokens[1] == TOKEN_ID["TS_3/4"]
    assert tokens[-2] != BAR  # never ends on an empty bar


def test_hostile_midi_files_get_a_sentence(tmp_path):
    far = mido.MidiFile(ticks_per_beat=1)
    track = mido.MidiTrack([mido.Message("note_on", note=60, velocity=90, time=0x0FFFFFFF),
                            mido.Message("note_off", note=60, velocity=0, time=1)])
    far.tracks.append(track)
    far.save(tmp_path / "far.mid")
    piece = from_midi(tmp_path / "far.mid")  # one note, moved to the start: no 67-million-bar primer
    assert piece.notes[0].start == 0 and len(encode(piece)) < 10
    data = bytearray((tmp_path / "far.mid").read_bytes())
    data[12:14] = b"\x00\x00"  # ticks per beat 0
    (tmp_path / "zero.mid").write_bytes(bytes(data))
    with pytest.raises(ValueError):
        from_midi(tmp_path / "zero.mid")


def test_check_piece_reads_the_signature():
    verdict = check_piece(scale_piece(A_MINOR, step=8, meter="3/4"), "sad", 70)
    assert verdict["mode"] and verdict["tempo"] and verdict["density"]
    assert not check_piece(scale_piece(A_MINOR, step=8, meter="3/4"), "happy", 70)["mode"]


def test_corpus_pieces_move_to_their_home_key():
    from pipelines.text_to_music.corpus import to_home_key

    e_minor = scale_piece([p + 7 for p in A_MINOR])  # A minor moved up to E minor
    d_major = scale_piece([p + 2 for p in C_MAJOR])
    assert (find_key(to_home_key(e_minor)).tonic, find_key(to_home_key(e_minor)).mode) == (9, "minor")
    assert (find_key(to_home_key(d_major)).tonic, find_key(to_home_key(d_major)).mode) == (0, "major")
