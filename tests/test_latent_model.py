"""The DCGAN module, its checkpoints, the shipped generators and the training script."""

import json

import pytest
import torch

from pipelines.common.config import ASSETS_DIR
from pipelines.latent_lab import train as train_script
from pipelines.common.checkpoint import save_checkpoint
from pipelines.common.dcgan.model import WEIGHTS_FILE, DCGANConfig, Discriminator, Generator, load_generator

TINY = DCGANConfig(z_dim=8, image_size=16, base_size=4, channels=1, ngf=4, ndf=4)


@pytest.mark.parametrize("config", [TINY, DCGANConfig(z_dim=8, image_size=28, base_size=7, channels=1, ngf=4, ndf=4), DCGANConfig(ngf=4, ndf=4)])
def test_shapes(config):
    z = torch.randn(2, config.z_dim)
    images = Generator(config)(z)
    assert images.shape == (2, config.channels, config.image_size, config.image_size)
    assert images.abs().max() <= 1
    assert Discriminator(config)(images).shape == (2,)


def test_config_rejects_bad_sizes():
    with pytest.raises(ValueError, match="30"):
        DCGANConfig(image_size=30, base_size=4)


def test_checkpoint_round_trip(tmp_path):
    generator = Generator(TINY).eval()
    save_checkpoint(tmp_path / "g", generator, generator.config, info={"name": "tiny"}, weights=WEIGHTS_FILE)
    loaded, info = load_generator(tmp_path / "g")
    z = torch.randn(3, TINY.z_dim)
    assert info["name"] == "tiny" and info["model"]["z_dim"] == 8
    assert torch.equal(loaded(z), generator(z))
    save_checkpoint(tmp_path / "h", generator, generator.config, info={"name": "tiny"}, half=True, weights=WEIGHTS_FILE)
    half, _ = load_generator(tmp_path / "h")
    assert (half(z) - generator(z)).abs().max() < 1e-2


@pytest.mark.parametrize("key, shape", [("digiface_dcgan", (3, 64, 64)), ("fashion_dcgan", (1, 28, 28))])
def test_shipped_generators_load_and_describe_themselves(key, shape):
    folder = ASSETS_DIR / "latent" / key
    generator, info = load_generator(folder)
    assert info["license"] and info["name"] and info["training"]
    out = generator(torch.randn(4, generator.config.z_dim))
    assert out.shape == (4, *shape)
    assert out.std() > 0.1  # a trained generator draws something, not a flat field
    assert (folder / "generator.safetensors").stat().st_size < 10 * 2**20


def test_training_script_few_steps_is_reproducible(tmp_path):
    args = ["--iterations", "3", "--batch-size", "8", "--ngf", "4", "--ndf", "4", "--z-dim", "8", "--limit-images", "64", "--log-every", "1"]
    records = []
    for run in ("a", "b"):
        records.append(train_script.main([*args, "--out", str(tmp_path / run)]))
    a, _ = load_generator(tmp_path / "a")
    b, _ = load_generator(tmp_path / "b")
    z = torch.randn(2, 8)
    assert torch.equal(a(z), b(z))
    assert [r["loss_d"] for r in records[0]["history"]] == [r["loss_d"] for r in records[1]["history"]]
    record = json.loads((tmp_path / "a" / "training_record.json").read_text())
    assert record["iterations"] == 3 and len(record["history"]) == 3
