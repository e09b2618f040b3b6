"""Text → Image through the API: the embedded model offline, a tiny SD folder typed as the model."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client
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
    result = text_to_image(client)
    assert len(result["images"]) == 2 and result["seeds"] == [11, 12] and "Seed 11" in result["summary"]
    stored = read_settings(result["images"][1])
    assert stored["seed"] == 12 and stored["prompt"] == "red heart" and stored["model"] == EMBEDDED
    assert Image.open(result["images"][0]).size == (64, 64)
    again = text_to_image(client, num_images=1, seed=12)["images"][0]
    alone, batched = (np.asarray(Image.open(f), dtype=np.int16) for f in (again, result["images"][1]))
    assert np.abs(alone - batched).max() <= 2  # the second of a batch, drawn alone: batched matmuls round differently


def test_a_prompt_alone_is_enough_and_the_random_seed_is_reported(client):
    result = client.predict("red heart", api_name="/text_to_image")
    assert len(result["images"]) == 1 and 0 <= result["settings"]["seed"] < 2**32
    assert f"Seed {result['settings']['seed']}" in result["summary"]


def test_a_local_sd_folder_serves_through_the_same_endpoint(client, models_dir):
    from tests.tiny_sd import tiny_sd_pipeline

    tiny_sd_pipeline().save_pretrained(models_dir / "api-tiny")
    result = text_to_image(client, model="api-tiny", steps=2, guidance=5.0, width=64, height=64)
    assert len(result["images"]) == 2 and result["settings"]["model"].endswith("api-tiny") and result["settings"]["width"] == 64
    assert "strength" not in result["settings"] and "strength" not in result["summary"]  # SD starts from pure noise


def test_the_emoji_models_start_is_reported_and_can_be_asked_for(client):
    default = text_to_image(client, steps=25, num_images=1)
    assert default["settings"]["strength"] == 0.3 and "25 steps · strength 0.3 (8 steps run) · guidance" in default["summary"]
    noise = text_to_image(client, steps=25, num_images=1, strength=1)
    assert noise["settings"]["strength"] == 1.0 and "strength 1.0 (25 steps run)" in noise["summary"]
    assert read_settings(noise["images"][0])["strength"] == 1.0


@pytest.mark.parametrize("overrides, message", [
    (dict(prompt=""), "prompt is empty"),
    (dict(steps=0), "steps must be from 1"),
    (dict(steps=10_000), "got 10000"),
    (dict(width=48, height=40), "multiple of 16, got 40"),
    (dict(width=1024), "from 32 to 128, got 1024"),
    (dict(seed=2**40), "seed must be from 0"),
    (dict(num_images=64), "number of images must be from 1 to 8"),
    (dict(style="pixel art"), "style must be one of noto"),
    (dict(strength=0.01), "strength must be from 0.05 to 1.0, got 0.01"),
    (dict(steps=2.5), "steps must be a whole number"),
    (dict(steps="abc"), "steps must be a whole number"),
    (dict(seed="١٢٣"), "digits 0–9"),
    (dict(model="stabilityai/sd-turbo"), "not downloaded and this machine is offline"),
    (dict(model="/nowhere/model.safetensors"), "is not available here"),
    (dict(model="/etc/passwd"), "is not available here"),
    (dict(model={"a": 1}), "model must be text"),
    (dict(scheduler="nope"), "scheduler must be one of"),
])
def test_bad_requests_get_sentences(client, overrides, message):
    with pytest.raises(AppError, match=message):
        text_to_image(client, **overrides)


def test_korean_clients_get_korean_messages(app_url):
    korean = Client(app_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"})
    with pytest.raises(AppError, match="단계 수는 1부터"):
        korean.predict(prompt="red heart", steps=0, api_name="/text_to_image")
    with pytest.raises(AppError, match="내려받지 않았고, 이 컴퓨터는 인터넷에"):  # "이 컴퓨터" once
        korean.predict(prompt="red heart", model="stabilityai/sd-turbo", api_name="/text_to_image")
    result = korean.predict(prompt="red heart", seed=3, steps=2, api_name="/text_to_image")
    assert result["summary"].startswith("**시드 3**")


def test_compare_images_labels_models_and_timings(client):
    result = client.predict(prompt="rocket", models=[EMBEDDED, "stabilityai/sd-turbo"], seed=4, steps=[5, 10],
                            api_name="/compare_images")
    cells = result["images"]
    assert cells[0]["label"].startswith(f"{EMBEDDED} · 2 of 5 steps ·") and cells[0]["label"].endswith(" s")  # 0.3 × 5 ran
    assert Image.open(cells[0]["image"]).size == (64, 64) and cells[0]["error"] is None
    assert any("sd-turbo" in c["label"] and c["image"] is None and "not downloaded" in c["error"] for c in cells)
    assert Image.open(result["grid"]).width > 256 and result["seed"] == 4
    with pytest.raises(AppError, match="step count must be a whole number"):
        client.predict(prompt="rocket", models=[EMBEDDED], seed=4, steps="five", api_name="/compare_images")


def test_picking_a_missing_model_falls_back_to_the_embedded_one():
    from demos.text_to_image import load_png, model_defaults

    name, steps, guidance, width, height, count, style, strength = model_defaults("stabilityai/sd-turbo")
    assert name == EMBEDDED and steps["value"] == 25 and count == 4 and style["visible"]
    assert strength == {"__type__": "update", "value": 0.3, "visible": True}  # the emoji model's own start
    assert width == height and width["value"] == 64 and width["step"] == 16
    assert (width["minimum"], width["maximum"]) == (32, 128)  # the model's bounds
    values = load_png(__file__)  # not a PNG at all: a warning, every control left as it was
    assert all(v == {"__type__": "update"} for v in values)


def test_png_settings_fill_the_controls(tmp_path):
    from demos.text_to_image import PNG_FIELDS, load_png
    from pipelines.text_to_image.metadata import save_png

    settings = dict(prompt="rocket", negative_prompt="", model=EMBEDDED, steps="abc", guidance=2.0, width=32, height=32,
                    seed=9, scheduler="euler")
    values = load_png(str(save_png(Image.new("RGB", (4, 4)), settings, tmp_path / "x.png")))
    filled = dict(zip(PNG_FIELDS, values))
    assert filled["prompt"] == "rocket" and filled["seed"] == 9 and filled["scheduler"] == "euler"
    assert isinstance(filled["steps"], dict)  # a crafted non-number is left alone, not sent to the slider
    assert filled["strength"] == 0.3  # made before the start was recorded: the emoji model's default
    sd = dict(settings, model="some/sd-model", strength=0.7)  # SD (A1111's hires fix): from pure noise here
    assert dict(zip(PNG_FIELDS, load_png(str(save_png(Image.new("RGB", (4, 4)), sd, tmp_path / "sd.png")))))["strength"] == 1.0


def test_notices_are_written_in_the_users_language():
    from pipelines.common.validation import say
    from pipelines.text_to_image.backends import get_backend
    from pipelines.text_to_image.pipeline import prepare_prompts
    from pipelines.text_to_image.request import ImageRequest

    backend = get_backend(EMBEDDED)
    request = ImageRequest.from_user(prompt="red heart", negative_prompt="blue", guidance=1.0).for_model(backend)
    (notice,) = prepare_prompts(backend, request)[2]
    assert say(notice, "en") == str(notice) and say(notice, "ko").startswith("가이던스가 1 이하")
    assert say("plain text", "ko") == "plain text"
