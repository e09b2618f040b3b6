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
    assert [item["caption"] for item in first] == ["seed 11", "seed 12", "seed 13"]
    assert Image.open(first[0]["image"]).size == (64, 64)
    assert [digest(i["image"]) for i in first] == [digest(i["image"]) for i in again]


def test_fashion_generator_samples(client):
    result = client.predict("fashion-mnist", 0, 2, 1.0, api_name="/latent_samples")
    assert Image.open(result[0]["image"]).size == (28, 28)


@pytest.mark.parametrize("a_seeds", [[1, 2, 3], "1, 2, 3"])
def test_arithmetic_takes_lists_or_text(client, a_seeds):
    result, mean_a, mean_b, mean_c = client.predict("digiface", a_seeds, [4, 5], "6", api_name="/latent_arithmetic")
    assert all(Image.open(p).size == (64, 64) for p in (result, mean_a, mean_b, mean_c))


def test_interpolate_returns_the_frames_asked_for(client):
    strip = client.predict(generator="digiface", seed_a=1, seed_b=2, steps=6, api_name="/latent_interpolate")
    assert len(strip) == 6 and strip[0]["caption"] == "0.00" and strip[-1]["caption"] == "1.00"


def test_edit_moves_the_image(client):
    base = client.predict("digiface", 5, 0.8, 0, 0, 0, 0, 0, "", "", 0, api_name="/latent_edit")
    moved = client.predict("digiface", 5, 0.8, 3, 0, 0, 0, 0, "", "", 0, api_name="/latent_edit")
    trait = client.predict("digiface", 5, 0.8, 0, 0, 0, 0, 0, "1, 2", "3", 2.0, api_name="/latent_edit")
    assert len({digest(base), digest(moved), digest(trait)}) == 3


def test_nearest_training_images_for_the_fashion_generator(client):
    edited = client.predict("fashion-mnist", 3, 1.0, 0, 0, 0, 0, 0, "", "", 0, api_name="/latent_edit")
    gallery, summary = client.predict("fashion-mnist", handle_file(edited), api_name="/latent_nearest")
    assert len(gallery) == 5 and "#" in gallery[0]["caption"]
    assert "Nearest training image: distance" in summary


def test_compare_shows_every_generator_with_its_time(client):
    tiles = client.predict(["digiface", "fashion-mnist"], 0, 2, 0.8, api_name="/latent_compare")
    captions = [t["caption"] for t in tiles]
    assert len(tiles) == 4 and all(" ms" in c for c in captions)
    assert any("Faces" in c for c in captions) and any("Fashion" in c for c in captions)


@pytest.mark.parametrize(
    "args, api_name, message",
    [
        (("digiface", -5, 2, 0.8), "/latent_samples", "-5"),
        (("digiface", 2**40, 2, 0.8), "/latent_samples", str(2**40)),
        (("digiface", 2.5, 2, 0.8), "/latent_samples", "2.5"),
        (("digiface", "abc", 2, 0.8), "/latent_samples", "abc"),
        (("digiface", 1, 500, 0.8), "/latent_samples", "500"),
        (("digiface", 1, 2, 7), "/latent_samples", "7"),
        (("stylegan9", 1, 2, 0.8), "/latent_samples", "stylegan9"),
        (("digiface", [], [1], [2]), "/latent_arithmetic", "group A is empty"),
        (("digiface", "1, two", [1], [2]), "/latent_arithmetic", "two"),
        (("digiface", 1, 2, 99), "/latent_interpolate", "99"),
        (("digiface", 5, 0.8, 50, 0, 0, 0, 0, "", "", 0), "/latent_edit", "50"),
        (("digiface", 5, 0.8, 0, 0, 0, 0, 0, "", "", 1), "/latent_edit", "empty"),
        (("digiface", None), "/latent_nearest", "no image"),
        (([], 1, 2, 0.8), "/latent_compare", "non-empty"),
    ],
)
def test_bad_input_gets_a_sentence_not_a_traceback(client, args, api_name, message):
    with pytest.raises(AppError) as caught:
        client.predict(*args, api_name=api_name)
    text = str(caught.value)
    assert message in text and "Traceback" not in text


def test_compare_takes_each_generator_once(client):
    tiles = client.predict(["digiface"] * 50, 0, 2, 0.8, api_name="/latent_compare")
    assert len(tiles) == 2
