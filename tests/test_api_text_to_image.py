"""Text → Image through the API: the embedded model offline, a tiny SD folder typed as the model."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from pipelines.text_to_image.backends import EMBEDDED
from pipelines.text_to_image.metadata import read_settings


def text_to_image(client, **overrides):
    args = dict(prompt="red heart", negative_prompt="", model=EMBEDDED, steps=10, guidance=3.0, width=64, height=64,
                seed=11, num_images=2, scheduler="default")
    args.update(overrides)
    return client.predict(**args, api_name="/text_to_image")


def test_text_to_image_returns_images_with_their_settings(client):
    gallery, settings, info = text_to_image(client)
    assert len(gallery) == 2 and settings["seeds"] == [11, 12] and "Seed 11" in info
    files = [item["image"]["path"] if isinstance(item["image"], dict) else item["image"] for item in gallery]
    stored = read_settings(files[1])
    assert stored["seed"] == 12 and stored["prompt"] == "red heart" and stored["model"] == EMBEDDED
    assert Image.open(files[0]).size == (64, 64)
    again = text_to_image(client, num_images=1, seed=12)[0][0]
    again_file = again["image"]["path"] if isinstance(again["image"], dict) else again["image"]
    assert np.array_equal(np.asarray(Image.open(again_file)), np.asarray(Image.open(files[1])))


def test_random_seed_is_reported(client):
    _, settings, info = text_to_image(client, seed=-1, num_images=1)
    assert 0 <= settings["seed"] < 2**32 and f"Seed {settings['seed']}" in info


def test_a_local_sd_folder_serves_through_the_same_endpoint(client, tmp_path):
    from pipelines.text_to_image.tiny_sd import tiny_sd_pipeline

    tiny_sd_pipeline().save_pretrained(tmp_path)
    gallery, settings, _ = text_to_image(client, model=str(tmp_path), steps=2, guidance=5.0, width=64, height=64)
    assert len(gallery) == 2 and settings["model"] == str(tmp_path) and settings["width"] == 64


@pytest.mark.parametrize("overrides, message", [
    (dict(prompt=""), "prompt is empty"),
    # Gradio's own range check answers first where a slider bounds the value; either way, a sentence.
    (dict(steps=0), "less than minimum value 1"),
    (dict(steps=10_000), "greater than maximum value"),
    (dict(width=48, height=40), "multiple of 16, got 40"),
    (dict(width=1024), "greater than maximum value"),
    (dict(seed=2**40), "greater than maximum value"),
    (dict(num_images=64), "greater than maximum value"),
    (dict(steps=2.5), "steps must be a whole number"),
    (dict(model="stabilityai/sd-turbo"), "not downloaded and this machine is offline"),
    (dict(model="/nowhere/model.safetensors"), "was not found"),
    (dict(scheduler="nope"), "nope is not in the list of choices"),
])
def test_bad_requests_get_sentences(client, overrides, message):
    with pytest.raises(AppError, match=message):
        text_to_image(client, **overrides)


def test_compare_images_labels_models_and_timings(client):
    gallery, grid = client.predict(prompt="rocket", models=[EMBEDDED, "stabilityai/sd-turbo"], seed=4, steps="5, 10",
                                   schedulers=["default"], api_name="/compare_images")
    captions = [item["caption"] for item in gallery]
    assert captions[0].startswith(f"{EMBEDDED} · 5 steps ·") and captions[0].endswith(" s")
    assert any("sd-turbo" in c and "not downloaded" in c for c in captions)
    assert Image.open(grid).width > 256
    with pytest.raises(AppError, match="step counts must be whole numbers"):
        client.predict(prompt="rocket", models=[EMBEDDED], seed=4, steps="five", schedulers=["default"],
                       api_name="/compare_images")


def test_picking_a_missing_model_falls_back_to_the_embedded_one():
    from demos.text_to_image import load_png, model_defaults

    name, steps, guidance, width, height, count, style = model_defaults("stabilityai/sd-turbo")
    assert name == EMBEDDED and steps["value"] == 25 and width["value"] == height["value"] == 64 and count == 4
    assert width["step"] == 16 and width["maximum"] == 128 and style["visible"]
    with pytest.raises(Exception, match="is not a PNG this app can read"):
        load_png(__file__)  # not a PNG at all


def test_png_settings_fill_the_controls(tmp_path):
    from demos.text_to_image import PNG_FIELDS, load_png
    from pipelines.text_to_image.metadata import save_png

    settings = dict(prompt="rocket", negative_prompt="", model=EMBEDDED, steps="abc", guidance=2.0, width=32, height=32,
                    seed=9, scheduler="euler")
    values = load_png(str(save_png(Image.new("RGB", (4, 4)), settings, tmp_path / "x.png")))
    filled = dict(zip(PNG_FIELDS, values))
    assert filled["prompt"] == "rocket" and filled["seed"] == 9 and filled["scheduler"] == "euler"
    assert isinstance(filled["steps"], dict)  # a crafted non-number is left alone, not sent to the slider
