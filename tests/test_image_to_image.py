"""Image → image (#21) through the pipeline: the emoji model's SDEdit, Stable Diffusion's img2img sharing the loaded
weights, the StarGAN's restyle row, the settings each PNG carries, and pictures that are not pictures."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pipelines.common.checkpoint import save_checkpoint
from pipelines.common.config import get_settings
from pipelines.common.emoji_diffusion.styles import STYLES
from pipelines.common.validation import UserInputError
from pipelines.text_to_image.backends import get_backend
from pipelines.text_to_image.image_to_image import (STARGAN, ImageToImageRequest, RestyleRequest, get_image_to_image,
                                                    image_pipe)
from pipelines.text_to_image.metadata import read_settings
from pipelines.text_to_image.stargan.model import Generator, StarGANConfig
from tests.tiny_sd import tiny_sd_pipeline


@pytest.fixture
def picture(tmp_path) -> Path:
    """A red blob in the top-left corner of a white picture, 100 × 60 (not square, not the model's size)."""
    image = Image.new("RGB", (100, 60), "white")
    image.paste((220, 30, 30), (5, 5, 40, 35))
    image.save(tmp_path / "blob.png")
    return tmp_path / "blob.png"


@pytest.fixture
def tiny_stargan(tmp_path, monkeypatch):
    torch.manual_seed(0)
    config = StarGANConfig(g_channels=4, g_blocks=1)
    folder = save_checkpoint(tmp_path / "stargan", Generator(config), config, weights="generator.safetensors")
    monkeypatch.setenv("GS_STARGAN_MODEL", str(folder))
    get_settings.cache_clear()
    yield folder
    monkeypatch.undo()
    get_settings.cache_clear()


def test_the_emoji_model_redraws_a_picture_in_a_style_without_a_prompt(picture):
    result = get_image_to_image().run(ImageToImageRequest(image=str(picture), style="openmoji", seed=3, num_images=2,
                                                          steps=8))
    assert [image.size for image in result.images] == [(64, 64)] * 2 and result.labels == ["3", "4"]
    settings = read_settings(result.files[1])
    assert settings["seed"] == 4 and settings["style"] == "openmoji" and settings["strength"] == 0.6
    again = get_image_to_image().run(ImageToImageRequest(image=str(picture), style="openmoji", seed=4, steps=8))
    difference = np.abs(np.asarray(again.images[0], int) - np.asarray(result.images[1], int))
    assert difference.max() <= 3  # image i reproduces from its seed (alone or in a batch: float rounding only)
    # At a low strength the picture's layout stays: the top-left corner is the reddest.
    kept = np.asarray(get_image_to_image().run(ImageToImageRequest(image=str(picture), strength=0.2, seed=1)).images[0], float)
    redness = kept[..., 0] - kept[..., 1:].mean(-1)
    assert redness[:24, :32].mean() > redness[40:, 32:].mean() + 20


def test_stable_diffusion_img2img_shares_the_loaded_weights(picture, models_dir):
    folder = models_dir / "tiny-sd-img2img"
    tiny_sd_pipeline(seed=0).save_pretrained(folder)
    result = get_image_to_image().run(ImageToImageRequest(image=str(picture), prompt="a red apple", model=str(folder.resolve()),
                                                          steps=4, strength=0.5, seed=2))
    backend = get_backend(str(folder.resolve()))
    assert image_pipe(backend).unet is backend.pipe.unet  # from_pipe: no second copy in memory
    assert result.images[0].size == (backend.limits.default_size,) * 2
    with pytest.raises(UserInputError, match="needs a prompt"):
        ImageToImageRequest(image=str(picture), model=str(folder.resolve()))


def test_the_stargan_restyles_into_every_style(picture, tiny_stargan):
    row = get_image_to_image().restyle(RestyleRequest(image=str(picture), model=STARGAN, seed=0))
    assert row.labels == list(STYLES) and len(row.files) == 7 and all(i.size == (64, 64) for i in row.images)
    settings = read_settings(row.files[2])
    assert settings["style"] == STYLES[2] and len(settings["source_sha256"]) == 64 and settings["mode"] == "image_to_image"
    one = get_image_to_image().run(ImageToImageRequest(image=str(picture), model=STARGAN, style=STYLES[2]))
    assert np.array_equal(np.asarray(one.images[0]), np.asarray(row.images[2]))


@pytest.mark.parametrize("sent, message", [
    (dict(image=None), "upload one or draw one"), (dict(strength=0), "strength"), (dict(strength=1.5), "strength"),
    (dict(style="pixel art"), "style must be one of"), (dict(num_images=99), "number of images"),
])
def test_requests_that_cannot_be_drawn_get_a_sentence(picture, sent, message):
    with pytest.raises(UserInputError, match=message):
        request = ImageToImageRequest(**{"image": str(picture), **sent})
        get_image_to_image().run(request)


def test_a_file_that_is_not_a_picture_gets_a_sentence(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    with pytest.raises(UserInputError, match="not an image"):
        get_image_to_image().run(ImageToImageRequest(image=str(fake)))


def test_the_endpoints_redraw_and_restyle(client, picture, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    result = client.predict(image=handle_file(str(picture)), style="twemoji", seed=5, num_images=2, api_name="/image_to_image")
    assert result["labels"] == ["5", "6"] and all(Path(f).is_file() for f in result["images"]) and "2" in result["summary"]
    row = client.predict(image=handle_file(str(picture)), model="emoji-diffusion", seed=1, api_name="/restyle")
    assert row["labels"] == list(STYLES) and len(row["images"]) == 7
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "blue")]
    frames[0].save(tmp_path / "moving.gif", save_all=True, append_images=frames[1:])
    moving = client.predict(image=handle_file(str(tmp_path / "moving.gif")), seed=1, api_name="/image_to_image")
    assert "first frame" in moving["summary"]
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(AppError, match="not an image"):
        client.predict(image=handle_file(str(tmp_path / "text.png")), api_name="/image_to_image")
    with pytest.raises(AppError, match="uploaded"):
        client.predict(image="/etc/passwd", api_name="/image_to_image")


def test_the_stargan_and_diffusion_side_by_side(picture, tiny_stargan):
    from pipelines.text_to_image.image_to_image import compare_restyles

    grid, path, rows = compare_restyles(str(picture), seed=4)
    assert path.is_file() and grid.width >= 7 * 128 and [len(r.images) for r in rows] == [7, 7]
    assert rows[0].settings["seed"] == rows[1].settings["seed"] == 4 and all(r.seconds > 0 for r in rows)


def test_a_result_dropped_back_restores_its_settings(picture):
    from demos.image_to_image import RESTORED, page_restore

    result = get_image_to_image().run(ImageToImageRequest(image=str(picture), prompt="red apple", style="emojione",
                                                          strength=0.45, seed=9, steps=4))
    restored = dict(zip(RESTORED, page_restore({"background": str(result.files[0]), "layers": [], "composite": None})))
    assert restored == {"prompt": "red apple", "model": "emoji-diffusion", "style": "emojione", "strength": 0.45, "seed": 9}
    untouched = page_restore({"background": str(picture), "layers": [], "composite": None})
    assert all(not isinstance(value, (str, int, float)) for value in untouched)  # a plain picture changes nothing
