"""How models learn: the named endpoints and the live-training stream, called as a program would."""

from __future__ import annotations

import time

import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

ENDPOINTS = ["/learn_samples", "/learn_compare", "/learn_decode", "/learn_denoise", "/learn_train"]


def size(path) -> tuple[int, int]:
    return Image.open(path).size


def test_named_endpoints_are_published(client):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(ENDPOINTS) <= set(info)
    assert [p["parameter_name"] for p in info["/learn_samples"]["parameters"]] == ["family", "dataset", "count", "seed"]


def test_samples_are_28_pixel_images_and_reproducible(client):
    first = client.predict("dcgan", "mnist", 3, 5, api_name="/learn_samples")
    again = client.predict(family="dcgan", dataset="mnist", count=3, seed=5, api_name="/learn_samples")
    assert len(first["images"]) == 3 and size(first["images"][0]) == (28, 28)
    assert [Image.open(p).tobytes() for p in first["images"]] == [Image.open(p).tobytes() for p in again["images"]]


def test_compare_measures_every_family(client):
    result = client.predict("mnist", 0, api_name="/learn_compare")
    families = [row["family"] for row in result["rows"]]
    assert families == ["pixel", "autoencoder", "vae", "gan", "dcgan", "diffusion"]
    assert all(len(row["images"]) == 8 for row in result["rows"])
    table = {row["family"]: row for row in result["table"]}
    assert table["pixel"]["frechet"] > table["dcgan"]["frechet"] > result["real"]["frechet"]  # speckle is far from real
    assert {"training_cpu_seconds", "samples_per_second", "confident", "class_entropy", "recall", "nearest_train"} <= set(table["vae"])
    assert len(result["verdicts"]) == 3


def test_decode_a_point_and_a_line(client):
    one = client.predict("vae", "mnist", 0.0, 0.0, api_name="/learn_decode")
    assert size(one["image"]) == (28, 28) and len(one["images"]) == 1 and size(one["map"])[0] > 400
    line = client.predict(family="autoencoder", dataset="fashion-mnist", x=-0.5, y=0.0, x2=0.5, y2=0.5, frames=5, api_name="/learn_decode")
    assert len(line["images"]) == 5


def test_denoise_returns_a_frame_per_step(client):
    result = client.predict(model="mnist-diffusion", label=3, seed=1, steps=6, api_name="/learn_denoise")
    assert len(result["frames"]) == 6 and size(result["frames"][0]["noisy"]) == (28, 28)
    timesteps = [f["timestep"] for f in result["frames"]]
    assert timesteps == sorted(timesteps, reverse=True)


def test_denoise_the_text_to_image_model_from_a_prompt(client):
    result = client.predict(model="emoji-diffusion", seed=2, steps=5, prompt="빨간 사과", api_name="/learn_denoise")
    assert len(result["frames"]) == 5 and size(result["frames"][0]["noisy"]) == (64, 64)
    guesses = [np.asarray(Image.open(f["guess"]), dtype=float) for f in result["frames"]]
    change = [np.abs(b - a).mean() for a, b in zip(guesses, guesses[1:])]
    assert change[-1] < change[0]  # the guess settles as the noise goes


@pytest.mark.parametrize("args, api_name, message", [
    (("flow", "mnist", 2, 0), "/learn_samples", "unknown family 'flow'"),
    (("gan", "cifar10", 2, 0), "/learn_samples", "unknown dataset 'cifar10'"),
    (("gan", "mnist", 999, 0), "/learn_samples", "999"),
    (("imagenet", 0), "/learn_compare", "unknown dataset"),
    (("vae", "mnist", 1000.0, 0.0), "/learn_decode", "outside the map"),
    (("gan", "mnist", 0.0, 0.0), "/learn_decode", "unknown family 'gan'"),
    (("mnist-diffusion", 3, 0, 500), "/learn_denoise", "steps must be from 1 to 50"),
    (("sd-turbo", 3, 0, 5), "/learn_denoise", "unknown model"),
    (("emoji-diffusion", -1, 0, 5, "   "), "/learn_denoise", "prompt is empty"),
    (("emoji-diffusion", -1, 0, 5, "x" * 201), "/learn_denoise", "at most 200"),
    (("gan", "mnist", 0, 32, 10, 0), "/learn_train", "learning rate must be"),
    (("gan", "mnist", 1e9, 32, 10, 0), "/learn_train", "learning rate must be"),
    (("gan", "mnist", 2e-4, 32, 10**6, 0), "/learn_train", "5000"),
])
def test_bad_input_gets_a_sentence_not_a_traceback(client, args, api_name, message):
    with pytest.raises(AppError) as caught:
        client.predict(*args, api_name=api_name)
    assert message in str(caught.value) and "Traceback" not in str(caught.value)


def test_live_training_streams_and_refuses_a_second_run_in_the_session(client):
    job = client.submit("gan", "mnist", 2e-4, 16, 1500, 0, api_name="/learn_train")  # long enough to still run below
    deadline = time.monotonic() + 60
    while not job.outputs() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.outputs(), "no progress update within a minute"
    first = job.outputs()[0]  # one named result per update
    assert size(first["grid"])[0] > 100 and "step" in first["status"]
    second = client.submit("vae", "mnist", 1e-3, 2, 10, 0, api_name="/learn_train")
    with pytest.raises(AppError, match="already running"):
        second.result(timeout=60)
    job.result(timeout=120)
    statuses = [out["status"] for out in job.outputs()]
    assert len(statuses) >= 2 and "finished" in statuses[-1] and "1500 / 1500" in statuses[-1]
    assert job.outputs()[-1]["losses"] and job.outputs()[-1]["step"] == 1500  # the loss curve came with the updates


def test_korean_clients_get_korean_messages(app_url):
    korean = Client(app_url, verbose=False, headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    with pytest.raises(AppError, match="모델 종류는 pixel, .* 중 하나여야 합니다"):
        korean.predict("flow", "mnist", 2, 0, api_name="/learn_samples")
    result = korean.predict("mnist", 0, api_name="/learn_compare")  # measured once above: cached
    assert len(result["verdicts"]) == 3 and all("품질" in v and "학습 속도" in v for v in result["verdicts"])
    assert [row["family"] for row in result["rows"]][0] == "pixel"  # field names and values stay as before
    status = korean.predict("vae", "mnist", 1e-3, 2, 10, 0, api_name="/learn_train")["status"]
    assert "**완료**" in status and "10 / 10 단계" in status


def test_the_pages_training_settings_are_checked_before_they_queue():
    # The page's Train runs this as Gradio's validator, before the press waits for a free training slot.
    from types import SimpleNamespace

    from demos.errors import field_validator
    from pipelines.learn.live import LiveRequest

    check = field_validator(LiveRequest, ["family", "dataset", "learning rate", "latent size", "steps", "seed"])
    korean = SimpleNamespace(headers={"accept-language": "ko-KR,ko"})
    results = check(korean, "dcgan", "mnist", -1, 32, 300, 0)
    assert [r["is_valid"] for r in results] == [True, True, False, True, True, True]  # under the learning rate only
    assert results[2]["message"] == "학습률은 0.000001부터 0.1까지여야 합니다. 받은 값: -1"
    assert not check(None, "dcgan", "mnist", 1e-3, 32, 300, -5)[5]["is_valid"]  # the seed, in English
    assert all(r["is_valid"] for r in check(None, "dcgan", "mnist", 2e-4, 32, 300, 0))


def test_the_pages_train_and_continue_share_one_event_and_its_note():
    """Train and Continue are one page event (a press of either while it runs is dropped, and said once, in the note);
    the button pressed decides; a training's first update clears a note its own press may have got as it began."""
    from types import SimpleNamespace

    import gradio as gr

    from demos.learn import _live_outputs, train_live
    from pipelines.learn.live import LiveUpdate

    request = SimpleNamespace(session_hash="continue-first", headers={})
    pressed = SimpleNamespace(target=SimpleNamespace(elem_id="learn-continue"))  # gr.EventData: the button
    with pytest.raises(gr.Error, match="no model to continue"):
        next(train_live("gan", "mnist", None, None, 10, 0, request, pressed))
    update = LiveUpdate(5, 300, 1.0, 1.0, Image.new("L", (8, 8)), [(5, 0.7)], "training")
    assert _live_outputs(update, "s", first=True)[4] == ""  # the note cleared as the training starts
    assert _live_outputs(update, "s")[4] == gr.skip()  # a note made while it runs stays
    update.status = "finished"
    assert _live_outputs(update, "s")[4] == ""
