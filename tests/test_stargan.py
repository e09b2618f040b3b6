"""The emoji StarGAN (#21): its training runs a few steps, reproducibly, and writes a generator that restyles."""

import json
from pathlib import Path

import numpy as np
import torch

from pipelines.common.checkpoint import load_checkpoint, read_record
from pipelines.common.emoji_diffusion.styles import STYLES
from pipelines.text_to_image.stargan import train
from pipelines.text_to_image.stargan.model import Generator, StarGANConfig


def tiny_corpus(path: Path) -> Path:
    """Twelve concepts in every style: coloured squares whose colour is the concept and whose border is the style."""
    rng = np.random.default_rng(0)
    images, concept, style = [], [], []
    for c in range(12):
        for s in range(len(STYLES)):
            tile = np.full((64, 64, 3), 255, np.uint8)
            tile[8 + s:56 - s, 8 + s:56 - s] = rng.integers(0, 255, 3)
            images.append(tile), concept.append(c), style.append(s)
    concepts = [dict(code=f"{c:x}", emoji="?", en=f"thing {c}", ko=f"물건 {c}", en_tags=[], ko_tags=[]) for c in range(12)]
    np.savez_compressed(path, images=np.stack(images), concept=np.array(concept, np.int32), style=np.array(style, np.int8),
                        concepts=json.dumps(concepts))
    return path


def test_training_runs_a_few_steps_reproducibly(tmp_path):
    corpus = tiny_corpus(tmp_path / "corpus.npz")
    small = ["--iterations", "6", "--batch-size", "2", "--g-channels", "4", "--g-blocks", "1", "--d-channels", "4",
             "--log-every", "3", "--save-every", "3", "--threads", "1", "--corpus", str(corpus)]
    first = train.main(small + ["--out", str(tmp_path / "a"), "--state", str(tmp_path / "state.pt")])
    second = train.main(small + ["--out", str(tmp_path / "b")])
    assert (first / "generator.safetensors").read_bytes() == (second / "generator.safetensors").read_bytes()
    record = read_record(first)
    assert record["iterations"] == 6 and len(record["history"]) == 2 and (tmp_path / "state.pt").is_file()
    generator = load_checkpoint(first, Generator, StarGANConfig, weights="generator.safetensors").model
    out = generator(torch.zeros(3, 3, 64, 64), torch.tensor([0, 3, 6]))
    assert out.shape == (3, 3, 64, 64) and out.abs().max() <= 1
    assert train.held_out_concepts(12) == {0, 10}


def test_a_warm_start_continues_from_a_states_weights_with_the_content_term(tmp_path):
    corpus = tiny_corpus(tmp_path / "corpus.npz")
    small = ["--batch-size", "2", "--g-channels", "4", "--g-blocks", "1", "--d-channels", "4", "--log-every", "3",
             "--save-every", "3", "--threads", "1", "--corpus", str(corpus)]
    train.main(small + ["--iterations", "6", "--out", str(tmp_path / "first"), "--state", str(tmp_path / "first.pt")])
    warm = train.main(small + ["--iterations", "3", "--lambda-content", "10", "--warm-start", str(tmp_path / "first.pt"),
                               "--out", str(tmp_path / "warm")])
    cold = train.main(small + ["--iterations", "3", "--lambda-content", "10", "--out", str(tmp_path / "cold")])
    record = read_record(warm)
    assert "first.pt at step 6" in record["warm_start"] and record["args"]["lambda_content"] == 10
    assert (warm / "generator.safetensors").read_bytes() != (cold / "generator.safetensors").read_bytes()
