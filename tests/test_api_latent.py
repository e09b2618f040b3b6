"""The Latent Lab's named endpoints, called as a program would, through gradio_client."""

import hashlib
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

ENDPOINTS = ["/latent_samples", "/latent_arithmetic", "/latent_interpolate", "/latent_edit", "/latent_nearest", "/latent_compare"]


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_named_endpoints_are_published(client):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(ENDPOINTS) <= set(info)


def test_samples_are_images_and_reproducible(client):
    first = client.predict("digiface", 11, 3, 0.8, api_name="/latent_samples")
    again = client.predict(generator="digiface", seed=11, count=3, truncation=0.8, api_name="/latent_samples")
    assert first["seeds"] == [11, 12, 13] and Image.open(first["images"][0]).size == (64, 64)
    assert [digest(p) for p in first["images"]] == [digest(p) for p in again["images"]]


def test_fashion_generator_samples_with_defaults(client):
    result = client.predict(generator="fashion-mnist", count=2, api_name="/latent_samples")
    assert Image.open(result["images"][0]).size == (28, 28) and result["seeds"] == [0, 1]


@pytest.mark.parametrize("a_seeds", [[1, 2, 3], "1, 2, 3"])
def test_arithmetic_takes_lists_or_text(client, a_seeds):
    result = client.predict(a_seeds, [4, 5], [6], api_name="/latent_arithmetic")
    assert all(Image.open(result[k]).size == (64, 64) for k in ("image", "mean_a", "mean_b", "mean_c"))


def test_interpolate_returns_the_frames_asked_for(client):
    strip = client.predict(generator="digiface", seed_a=1, seed_b=2, steps=6, api_name="/latent_interpolate")
    assert len(strip["images"]) == 6 and strip["fractions"][0] == 0.0 and strip["fractions"][-1] == 1.0


def test_edit_moves_the_image(client):
    base = client.predict(seed=5, api_name="/latent_edit")["image"]
    moved = client.predict(seed=5, pc1=3, api_name="/latent_edit")["image"]
    trait = client.predict(seed=5, trait_with=[1, 2], trait_without=[3], trait_amount=2.0, api_name="/latent_edit")["image"]
    assert len({digest(base), digest(moved), digest(trait)}) == 3


def test_nearest_training_images_for_the_fashion_generator(client):
    edited = client.predict(seed=3, generator="fashion-mnist", truncation=1.0, api_name="/latent_edit")["image"]
    result = client.predict(handle_file(edited), "fashion-mnist", api_name="/latent_nearest")
    assert len(result["images"]) == 5 == len(result["distances"]) and "#" in result["labels"][0]
    assert "Nearest training image: distance" in result["summary"] and result["typical_distance"] > 0


def test_compare_shows_every_generator_with_its_time(client):
    result = client.predict(["digiface", "fashion-mnist"], 0, 2, 0.8, api_name="/latent_compare")["results"]
    assert [r["generator"] for r in result] == ["digiface", "fashion-mnist"]
    assert all(len(r["images"]) == 2 and r["seconds"] > 0 for r in result)


@pytest.mark.parametrize(
    "kwargs, api_name, message",
    [
        (dict(seed=-5), "/latent_samples", "-5"),
        (dict(seed=2**40), "/latent_samples", str(2**40)),
        (dict(seed=2.5), "/latent_samples", "2.5"),
        (dict(seed="abc"), "/latent_samples", "abc"),
        (dict(seed="١٢٣"), "/latent_samples", "digits 0–9"),
        (dict(count=500), "/latent_samples", "500"),
        (dict(truncation=7), "/latent_samples", "7"),
        (dict(generator="stylegan9"), "/latent_samples", "stylegan9"),
        (dict(a_seeds=[], b_seeds=[1], c_seeds=[2]), "/latent_arithmetic", "group A is empty"),
        (dict(a_seeds="1, two", b_seeds=[1], c_seeds=[2]), "/latent_arithmetic", "two"),
        (dict(a_seeds="1, ²", b_seeds=[1], c_seeds=[2]), "/latent_arithmetic", "digits 0–9"),
        (dict(steps=99), "/latent_interpolate", "99"),
        (dict(pc1=50), "/latent_edit", "50"),
        (dict(trait_amount=1), "/latent_edit", "empty"),
        (dict(image=None), "/latent_nearest", "uploaded"),
        (dict(image="/etc/passwd"), "/latent_nearest", "uploaded"),
        (dict(generators=[]), "/latent_compare", "non-empty"),
    ],
)
def test_bad_input_gets_a_sentence_not_a_traceback(client, kwargs, api_name, message):
    with pytest.raises(AppError) as caught:
        client.predict(**kwargs, api_name=api_name)
    text = str(caught.value)
    assert message in text and "Traceback" not in text


def test_nearest_refuses_an_image_bomb_before_decoding(client, tmp_path):
    from tests.hostile import image_bomb

    with pytest.raises(AppError, match="the image declares .* pixels"):
        client.predict(handle_file(str(image_bomb(tmp_path / "bomb.png"))), "fashion-mnist", api_name="/latent_nearest")


def test_nearest_is_only_for_generators_with_a_training_set(client, tmp_path):
    Image.new("RGB", (64, 64)).save(tmp_path / "x.png")
    with pytest.raises(AppError, match="not trained here"):
        client.predict(handle_file(str(tmp_path / "x.png")), "digiface", api_name="/latent_nearest")


def test_compare_takes_each_generator_once(client):
    result = client.predict(["digiface"] * 50, 0, 2, 0.8, api_name="/latent_compare")["results"]
    assert len(result) == 1
