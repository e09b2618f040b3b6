"""The embedded model's data and training script, on a few steps."""

from __future__ import annotations

import json

import numpy as np
import torch

from pipelines.text_to_image import emoji_data, train
from pipelines.text_to_image.embedded import EmbeddedConfig, EmbeddedDiffusion, load_embedded, save_embedded


def test_captions_are_cldr_names_in_both_languages():
    assert emoji_data.captions_for("❤️") == (["red heart", "heart"], ["빨간색 하트"])
    english, korean = emoji_data.captions_for("🐱")
    assert english[:2] == ["cat face", "cat"] and korean == ["고양이 얼굴", "고양이"]
    assert all(not any(ch.isdigit() for ch in c) for c in emoji_data.captions_for("🐄")[0])  # no "cow2"


def test_emoji_render_centred_on_white():
    image = emoji_data.render("🍕", 32)
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert (image[0, 0] == 255).all() and image.std() > 20  # white corner, a picture inside
    assert emoji_data.render("a", 32) is None or emoji_data.render("a", 32).std() < 2


def test_checkpoint_rebuilds_the_model(tmp_path):
    torch.manual_seed(0)
    model = EmbeddedDiffusion(EmbeddedConfig(channels=(32, 32), attention_head_dim=8)).eval()
    save_embedded(model, tmp_path, {"note": "test"}, half=False)
    loaded = load_embedded(tmp_path)
    x, t, c = torch.randn(2, 3, 32, 32), torch.tensor([10, 500]), torch.randn(2, 512)
    assert torch.allclose(model(x, t, c), loaded(x, t, c))
    assert loaded.config.channels == (32, 32)


def test_training_runs_a_few_steps_and_resumes(tmp_path):
    out, state = tmp_path / "model", tmp_path / "state.pt"
    common = ["--batch", "4", "--channels", "32,32", "--save-every", "2", "--out", str(out), "--state", str(state),
              "--threads", "1"]
    train.main(["--iterations", "2", *common])
    record = json.loads((out / "config.json").read_text())["training"]
    assert record["iterations"] == 2 and record["seed"] == 0 and "Noto Color Emoji" in record["data"]
    assert (tmp_path / "preview_000002.png").is_file()
    train.main(["--iterations", "4", "--resume", *common])
    assert json.loads((out / "config.json").read_text())["training"]["iterations"] == 4
    images = load_embedded(out).sample(torch.randn(2, 512), steps=2, generator=torch.Generator().manual_seed(0))
    assert images.shape == (2, 3, 32, 32) and torch.isfinite(images).all()


def test_resume_refuses_other_settings_or_a_missing_state(tmp_path):
    import pytest

    common = ["--batch", "4", "--channels", "32,32", "--save-every", "2", "--out", str(tmp_path / "m"),
              "--state", str(tmp_path / "state.pt"), "--threads", "1"]
    with pytest.raises(SystemExit, match="no training state"):
        train.main(["--iterations", "2", "--resume", *common])
    train.main(["--iterations", "2", *common])
    with pytest.raises(SystemExit, match="other settings"):
        train.main(["--iterations", "4", "--resume", "--lr", "1e-3", *common])
