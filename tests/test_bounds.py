"""Every value a control offers works: each numeric input of every endpoint at its minimum and maximum (and every
image size in between, at every strength), against the app as its own process, which must still be alive after.

The slider table is read from the page itself (Gradio's /config), so a control added later with no entry in SWEEP
fails `test_every_slider_on_the_page_is_swept` until its range is swept here. Issue #18: Compose at 46–60 s killed
the server (libsndfile's Vorbis encoder), and the emoji model failed at every size but 64.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.test_fuzz import BASE, PYTHON_TEXT
from tests.test_kill import start_app

MAX_SEED = 2**32 - 1
# Slider (its label's i18n key) → the endpoint parameter(s) that take its value. learn.frame only picks one of the
# frames already drawn, in the page (tests/test_learn.py covers its range).
SWEEP = {
    "image.count": [("text_to_image", "num_images")], "image.steps": [("text_to_image", "steps")],
    "image.guidance": [("text_to_image", "guidance")], "image.strength": [("text_to_image", "strength")],
    "image.width": [("text_to_image", "width")], "image.height": [("text_to_image", "height")],
    "music.seconds": [("text_to_music", "seconds"), ("compare_music", "seconds")],
    "music.temperature": [("text_to_music", "temperature")], "music.top_k": [("text_to_music", "top_k")],
    "music.tempo": [("text_to_music", "tempo")],
    "latent.count": [("latent_samples", "count"), ("latent_compare", "count")],
    "latent.truncation": [("latent_samples", "truncation"), ("latent_edit", "truncation"), ("latent_interpolate", "truncation")],
    "latent.steps": [("latent_interpolate", "steps")],
    "latent.pc": [("latent_edit", f"pc{i}") for i in range(1, 6)], "latent.trait_amount": [("latent_edit", "trait_amount")],
    "learn.count": [("learn_samples", "count")], "learn.latent": [("learn_train", "latent_dim")],
    "learn.steps": [("learn_train", "steps")], "learn.denoise_steps": [("learn_denoise", "steps")],
    "i2i.count": [("image_to_image", "num_images")], "i2i.strength": [("image_to_image", "strength"), ("restyle", "strength")],
}
PAGE_ONLY = {"learn.frame"}
# What the page asks for before a control's value means anything (the trait needs samples with and without it).
PICTURE = Path(tempfile.mkdtemp()) / "picture.png"  # what the image → image sliders redraw
Image.new("RGB", (40, 40), (200, 60, 60)).save(PICTURE)
CONTEXT = {("latent_edit", "trait_amount"): dict(trait_with=[1, 2], trait_without=[3, 4]),
           ("image_to_image", "num_images"): dict(image=handle_file(str(PICTURE)), steps=4),
           ("image_to_image", "strength"): dict(image=handle_file(str(PICTURE)), steps=4),
           ("restyle", "strength"): dict(image=handle_file(str(PICTURE))),
           ("learn_decode", "frames"): dict(x2=0.5, y2=0.5)}  # frames are a line's: it needs its second point
# Number boxes have no bounds in the page: their documented ranges.
NUMBERS = [
    ("text_to_image", "seed", [-1, 0, MAX_SEED]), ("text_to_music", "seed", [-1, 0, MAX_SEED]),
    ("latent_samples", "seed", [0, MAX_SEED]), ("latent_interpolate", "seed_a", [0, MAX_SEED]),
    ("latent_edit", "seed", [0, MAX_SEED]), ("learn_samples", "seed", [0, MAX_SEED]),
    ("learn_train", "lr", [1e-6, 0.1]), ("text_to_music", "instrument", [-1, 127]),
    # The API's own ends where they reach past the page's: the emoji model takes up to 200 steps.
    ("text_to_image", "steps", [200]), ("learn_denoise", "label", [-1, 9]), ("learn_decode", "frames", [2, 16]),
]
IMAGE_SIZES = range(32, 129, 16)


def page_sliders(url: str) -> dict[str, tuple[float, float]]:
    """{i18n key of the label: (minimum, maximum)} of every slider on the page."""
    sliders = {}
    for component in httpx.get(f"{url}/config", timeout=30).json()["components"]:
        if component["type"] == "slider":
            label = component["props"]["label"]
            key = json.loads(label.removeprefix("__i18n__").rsplit("}", 1)[0] + "}")["key"]
            sliders[key] = (component["props"]["minimum"], component["props"]["maximum"])
    return sliders


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    process, url = start_app(tmp_path_factory.mktemp("bounds-data"))
    yield process, url
    process.kill()
    process.wait(timeout=30)


def call(url: str, name: str, **values) -> str:
    """'' when the endpoint returned a result, else its message. Streaming endpoints stop after their first update."""
    client = Client(url, verbose=False)
    try:
        job = client.submit(**{**BASE[name], **values}, api_name=f"/{name}")
        if name == "learn_train":
            for _ in job:  # the first grid says it trains; the rest is time
                job.cancel()
                break
            else:
                job.result(timeout=60)  # no update: raises the app's sentence
        else:
            job.result(timeout=300)
        return ""
    except Exception as exc:  # AppError: the app's sentence
        return str(exc) or "(empty message)"


def test_every_slider_on_the_page_is_swept(app):
    _, url = app
    assert set(page_sliders(url)) == set(SWEEP) | PAGE_ONLY


def test_every_slider_value_at_its_ends_gives_a_result(app):
    process, url = app
    failures = []
    for key, (low, high) in page_sliders(url).items():
        for name, param in SWEEP.get(key, []):
            for value in (low, high):
                message = call(url, name, **{**CONTEXT.get((name, param), {}), param: value})
                if message:
                    failures.append((name, param, value, message[:200]))
    for name, param, values in NUMBERS:
        for value in values:
            message = call(url, name, **{**CONTEXT.get((name, param), {}), param: value})
            if message:
                failures.append((name, param, value, message[:200]))
    assert not failures, failures
    assert process.poll() is None and Client(url, verbose=False).predict(api_name="/ping") == "ok"


@pytest.mark.parametrize("strength", [None, 0.05, 1.0])
def test_every_image_size_works_at_every_strength(app, strength):
    process, url = app
    sizes = [(side, side) for side in IMAGE_SIZES] + [(32, 128), (128, 32)]
    failures = [(w, h, message[:200]) for w, h in sizes
                if (message := call(url, "text_to_image", width=w, height=h, strength=strength, steps=4))]
    assert not failures, failures
    assert process.poll() is None


def test_past_the_controls_a_sentence_and_the_app_lives(app):
    """Values no control offers, sent by a program: a sentence naming the value, never Python's text."""
    process, url = app
    cases = [("text_to_image", "width", 33), ("text_to_image", "width", 4096), ("text_to_music", "seconds", 61),
             ("text_to_music", "tempo", 241), ("learn_train", "latent_dim", 65), ("learn_train", "steps", 1),
             ("latent_edit", "pc1", 999), ("latent_samples", "count", 33), ("learn_denoise", "steps", 51)]
    for name, param, value in cases:
        message = call(url, name, **{param: value})
        assert message and str(value) in message and not PYTHON_TEXT.search(message), (name, param, message)
        assert "Something went wrong" not in message
    assert process.poll() is None and Client(url, verbose=False).predict(api_name="/ping") == "ok"
