"""pipelines/common: seeds, offline loading, images, the GPU wrapper, configuration."""

import numpy as np
import pytest
import torch
from PIL import Image

from pipelines.common import gpu, images, loading, seeding
from pipelines.common.config import get_settings


@pytest.mark.parametrize("value, expected", [(0, 0), (7, 7), (12.0, 12), ("42", 42), (seeding.MAX_SEED, seeding.MAX_SEED)])
def test_check_seed_accepts_whole_numbers(value, expected):
    assert seeding.check_seed(value) == expected


@pytest.mark.parametrize("value", [-1, 2**32, 1.5, "abc", "", None, True, float("nan"), [1]])
def test_check_seed_rejects_and_quotes(value):
    with pytest.raises(ValueError, match="seed"):
        seeding.check_seed(value)


@pytest.mark.parametrize("value", ["1, 2, 3", "1 2 3", "[1, 2, 3]", [1, 2, 3], (1.0, 2, "3")])
def test_check_seed_list_forms(value):
    assert seeding.check_seed_list(value, "group A") == [1, 2, 3]


@pytest.mark.parametrize("value, message", [("", "empty"), ("[]", "empty"), (None, "empty"), ("1, x", "'x'"), (list(range(100)), "at most")])
def test_check_seed_list_rejects(value, message):
    with pytest.raises(ValueError, match=message):
        seeding.check_seed_list(value, "group A")


def test_cpu_generator_reproduces():
    a = torch.randn(5, generator=seeding.cpu_generator(3))
    b = torch.randn(5, generator=seeding.cpu_generator(3))
    assert torch.equal(a, b)
    assert 0 <= seeding.random_seed() <= seeding.MAX_SEED


def test_resolve_model_source_local_and_missing(tmp_path):
    assert loading.resolve_model_source(str(tmp_path)) == tmp_path
    with pytest.raises(loading.ModelUnavailableError, match="no such file"):
        loading.resolve_model_source(str(tmp_path / "nope.safetensors"))
    with pytest.raises(ValueError, match="hub id or a local path"):
        loading.resolve_model_source("  ")


def test_resolve_model_source_offline_hub_id_says_how():
    # conftest sets HF_HUB_OFFLINE=1: a hub id that is not cached must fail fast and plainly.
    with pytest.raises(loading.ModelUnavailableError, match="offline.*local folder"):
        loading.resolve_model_source("someone/not-a-cached-model", what="generator")


def test_cached_loader_loads_once():
    calls = []

    @loading.cached_loader
    def load(name):
        calls.append(name)
        return object()

    assert load("a") is load("a")
    assert calls == ["a"]


def test_tensor_to_pil_and_grid():
    ims = images.tensor_to_pil(torch.zeros(3, 1, 8, 8))
    assert [im.mode for im in ims] == ["L"] * 3 and ims[0].getpixel((0, 0)) in (127, 128)
    rgb = images.tensor_to_pil(torch.ones(1, 3, 8, 8))[0]
    assert rgb.mode == "RGB" and rgb.getpixel((0, 0)) == (255, 255, 255)
    grid = images.image_grid(ims, cols=2, labels=["a", "b", "c"], cell=16)
    assert grid.size[0] > 32 and grid.size[1] > 32
    with pytest.raises(ValueError):
        images.tensor_to_pil(torch.zeros(2, 2, 8, 8))
    assert images.pil_to_array(Image.new("L", (4, 4), 255), 8, grayscale=True).shape == (8, 8)


def test_gpu_decorator_is_identity_off_zero_gpu(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)

    def f():
        return 1

    assert gpu.gpu(f) is f and gpu.gpu(duration=10)(f) is f


def test_settings_defaults_and_validation(monkeypatch):
    settings = get_settings()
    assert settings.torch_threads >= 1 and settings.concurrency >= 1
    get_settings.cache_clear()
    monkeypatch.setenv("GS_DEVICE", "tpu")
    try:
        with pytest.raises(ValueError, match="tpu"):
            get_settings()
    finally:
        monkeypatch.delenv("GS_DEVICE")
        get_settings.cache_clear()


def test_uploaded_pictures_become_rgb_on_white(tmp_path):
    """#21's bad inputs: animated, 16-bit, CMYK, palette, transparent, rotated, tiny, and a declared 20,000² bomb."""
    from PIL import Image

    from pipelines.common.images import as_rgb_picture, open_upload
    from pipelines.common.validation import UserInputError

    def saved(image, name, **kwargs):
        image.save(tmp_path / name, **kwargs)
        return open_upload(tmp_path / name, load=False)

    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "blue")]
    first, notices = as_rgb_picture(saved(frames[0], "a.gif", save_all=True, append_images=frames[1:]))
    assert first.getpixel((0, 0)) == (255, 0, 0) and notices[0].key == "image.first_frame"
    deep = Image.fromarray(np.full((16, 16), 65535, np.uint16))
    assert as_rgb_picture(saved(deep, "d.png"))[0].getpixel((0, 0)) == (255, 255, 255)
    assert as_rgb_picture(saved(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "c.jpg"))[0].getpixel((8, 8))[0] > 200
    clear = Image.new("RGBA", (16, 16), (0, 0, 0, 0))
    assert as_rgb_picture(saved(clear, "t.png"))[0].getpixel((3, 3)) == (255, 255, 255)  # on white, as the corpus
    assert as_rgb_picture(saved(Image.new("P", (16, 16), 3), "p.png"))[0].mode == "RGB"
    tall = Image.new("RGB", (16, 32), "white")
    exif = tall.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    assert as_rgb_picture(saved(tall, "r.jpg", exif=exif))[0].size == (32, 16)
    with pytest.raises(UserInputError, match="1 × 1 pixels"):
        as_rgb_picture(saved(Image.new("RGB", (1, 1)), "one.png"))
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(bomb)  # a small file declaring 400 million pixels
    with pytest.raises(UserInputError, match="pixels"):
        open_upload(bomb)
