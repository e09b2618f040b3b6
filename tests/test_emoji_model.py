"""The embedded emoji model: styles, prompt keys, the diffusers pipeline (tiny, built in code), its corpus.
(Its training script: tests/test_training.py.)"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pipelines.text_to_image import emoji_corpus
from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline, build_components, keys_to_embeds, prompt_keys
from pipelines.common.emoji_diffusion.prior import LayoutPrior
from pipelines.common.emoji_diffusion.styles import STYLES, split_style, styled_caption
from pipelines.text_to_image.schedulers import SCHEDULERS, make_scheduler


def tiny_pipeline(prior: bool = False, strength: float = 1.0) -> EmojiDiffusionPipeline:
    torch.manual_seed(0)
    unet, vae, scheduler = build_components(channels=(32, 32, 32), vae_channels=(8, 8, 8), attention_head_dim=8)
    layout = LayoutPrior(width=32, depth=1) if prior else None
    return EmojiDiffusionPipeline(unet=unet, vae=vae, scheduler=scheduler, prior=layout, max_words=4, strength=strength)


@pytest.mark.parametrize("prompt, expected", [
    ("cat face, openmoji style", ("cat face", "openmoji")),
    ("고양이 얼굴, 오픈모지 스타일", ("고양이 얼굴", "openmoji")),
    ("red apple in fluent flat style", ("red apple", "fluent_flat")),
    ("Fluent 3D rocket", ("rocket", "fluent_3d")),
    ("rocket", ("rocket", None)),
    ("notorious cat", ("notorious cat", None)),  # a style name inside a word is no style word
])
def test_style_words_are_found_and_taken_out(prompt, expected):
    assert split_style(prompt) == expected


def test_styled_captions_round_trip():
    for style in STYLES:
        assert split_style(styled_caption("red apple", style, korean=False)) == ("red apple", style)
        assert split_style(styled_caption("빨간 사과", style, korean=True)) == ("빨간 사과", style)


def test_prompt_keys_are_the_sentence_then_its_words():
    assert prompt_keys("A red apple emoji", 8) == ["A red apple emoji", "red", "apple"]
    assert prompt_keys("빨간 사과", 1) == ["빨간 사과", "빨간"]
    padded = keys_to_embeds(np.arange(6, dtype=np.float32).reshape(2, 3), 3)
    assert padded.tolist() == [[0, 1, 2], [3, 4, 5], [0, 1, 2], [0, 1, 2]]  # padding repeats the sentence key


def test_pipeline_round_trips_in_diffusers_layout(tmp_path):
    pipe = tiny_pipeline()
    embeds = torch.randn(2, 5, 512)
    first = pipe(prompt_embeds=embeds, style="twemoji", num_inference_steps=2, generator=[torch.Generator().manual_seed(s) for s in (1, 2)],
                 output_type="np").images
    pipe.save_pretrained(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} >= {"model_index.json", "unet", "vae", "scheduler"}
    index = json.loads((tmp_path / "model_index.json").read_text())
    assert index["styles"] == list(STYLES) and index["max_words"] == 4
    loaded = EmojiDiffusionPipeline.from_pretrained(tmp_path)
    again = loaded(prompt_embeds=embeds, style="twemoji", num_inference_steps=2,
                   generator=[torch.Generator().manual_seed(s) for s in (1, 2)], output_type="np").images
    assert first.shape == (2, 64, 64, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again)
    # Each image reproduces alone from its own seed.
    alone = loaded(prompt_embeds=embeds[1:], style="twemoji", num_inference_steps=2,
                   generator=[torch.Generator().manual_seed(2)], output_type="np").images
    assert np.abs(alone[0].astype(int) - again[1]).max() <= 2  # batched arithmetic may differ in the last bit


def test_style_is_the_unets_class_label():
    pipe = tiny_pipeline()
    latents, embeds = torch.randn(1, 4, 16, 16), torch.randn(1, 5, 512)
    v = [pipe.predict_v(latents, torch.tensor(500), embeds, torch.tensor([i]), 1.0, None) for i in (0, 5)]
    assert v[0].shape == latents.shape and not torch.equal(v[0], v[1])
    # (With the shipped model the styles' pictures differ visibly: test_text_to_image checks noto against openmoji.)


@pytest.mark.parametrize("kwargs, message", [
    (dict(style="pixel-art"), "unknown style 'pixel-art'"),
    (dict(num_inference_steps=0), "num_inference_steps"),
    (dict(guidance_scale=1e9), "guidance_scale"),
    (dict(height=60), "height must be a multiple of 16"),
    (dict(strength=0.5), "needs a layout prior"),
])
def test_pipeline_checks_inputs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_pipeline()(prompt_embeds=torch.randn(1, 5, 512), **kwargs)


def test_denoising_callback_sees_the_clean_image_guess():
    seen = []
    tiny_pipeline()(prompt_embeds=torch.randn(1, 5, 512), num_inference_steps=3,
                    callback_on_step_end=lambda pipe, i, t, kw: seen.append((i, kw["x0"].shape)))
    assert seen == [(0, (1, 4, 16, 16)), (1, (1, 4, 16, 16)), (2, (1, 4, 16, 16))]


def test_the_layout_prior_starts_denoising_part_way_from_its_guess(tmp_path):
    pipe = tiny_pipeline(prior=True, strength=0.5)
    embeds, seen = torch.randn(1, 5, 512), []
    pipe(prompt_embeds=embeds, style="twemoji", num_inference_steps=4, generator=torch.Generator().manual_seed(3),
         callback_on_step_end=lambda pipe, i, t, kw: seen.append((int(t), kw["x_t"])))
    assert len(seen) == 2  # the model's own strength: half of the 4 steps
    # The first x_t is the prior's guess noised to the first step run, from the seed's noise (img2img).
    guess = pipe.prior(embeds, torch.tensor([STYLES.index("twemoji")]))
    noise = torch.randn((1, 4, 16, 16), generator=torch.Generator().manual_seed(3))
    assert torch.allclose(seen[0][1], pipe.scheduler.add_noise(guess, noise, torch.tensor([seen[0][0]])), atol=1e-5)
    seen.clear()
    pipe(prompt_embeds=embeds, num_inference_steps=4, strength=1.0,
         callback_on_step_end=lambda pipe, i, t, kw: seen.append(int(t)))
    assert len(seen) == 4  # strength 1: pure noise, the whole schedule, the prior unused
    seen.clear()
    pipe(prompt_embeds=embeds, num_inference_steps=4, strength=0.01, callback_on_step_end=lambda pipe, i, t, kw: seen.append(kw["steps"]))
    assert seen == [1]  # at least one step runs
    for strength in (0, 1.5, -1):
        with pytest.raises(ValueError, match="strength must be above 0 and at most 1"):
            pipe(prompt_embeds=embeds, num_inference_steps=4, strength=strength)
    # Every scheduler the tab offers starts part way (Euler and DPM-Solver from their begin index).
    for name in SCHEDULERS:
        pipe.scheduler = make_scheduler(name, tiny_pipeline().scheduler.config)
        images = pipe(prompt_embeds=embeds, num_inference_steps=4, output_type="pt").images
        assert images.shape == (1, 3, 64, 64) and torch.isfinite(images).all(), name
    pipe.save_pretrained(tmp_path)
    index = json.loads((tmp_path / "model_index.json").read_text())
    assert index["prior"] == ["pipelines.common.emoji_diffusion.prior", "LayoutPrior"] and index["strength"] == 0.5
    loaded = EmojiDiffusionPipeline.from_pretrained(tmp_path)
    assert isinstance(loaded.prior, LayoutPrior) and loaded.config.strength == 0.5
    assert torch.allclose(loaded.prior(embeds, torch.tensor([0])), pipe.prior(embeds, torch.tensor([0])), atol=1e-5)


def test_concept_captions_hold_out_paraphrases_and_a_tag():
    concept = emoji_corpus.Concept("1f34e", "🍎", "red apple", "빨간 사과", ["apple", "fruit", "red"], ["과일", "빨강", "사과"])
    held, trained = concept.heldout_captions(), concept.train_captions()
    assert held[:2] == ["a picture of red apple", "빨간 사과 그림"]
    assert "fruit" in held and len(set(held) & set(concept.ko_tags)) == 1  # a tag not in the label, one per language
    assert not set(held) & set(trained) and {"red apple", "빨간 사과", "red apple emoji"} <= set(trained)


def test_code_points_join_across_sources():
    assert emoji_corpus.normalise("0023-FE0F-20E3") == emoji_corpus.normalise("0023-20e3") == "23-20e3"
    assert emoji_corpus.normalise("1F3C3-1F3FB-200D-2640-FE0F") == "1f3c3-1f3fb-200d-2640"
    assert emoji_corpus.slug("person’s face: smiling") == "persons-face-smiling"


NOTO_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"  # `make test` installs it (fonts-noto-color-emoji)
ASKED = {"red apple": "🍎", "빨간 하트": "❤", "cat face": "🐱", "rocket": "🚀", "자동차": "🚗", "sun": "☀", "green apple": "🍏"}


def font_emoji(char: str) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    tile = Image.new("RGB", (136, 128), "white")
    ImageDraw.Draw(tile).text((0, 0), char, font=ImageFont.truetype(NOTO_FONT, 109), embedded_color=True)
    return np.asarray(tile.crop((0, 0, 128, 128)).resize((64, 64), Image.Resampling.LANCZOS))


@pytest.mark.skipif(not __import__("os").path.exists(NOTO_FONT), reason="the Noto colour emoji font is not installed")
def test_the_shipped_model_draws_what_is_asked():
    """A floor under the shipped weights' quality: each picture is nearer the emoji it names (drawn by the Noto
    font, English and Korean prompts) than any other asked for, by colour and layout (16 × 16 averages)."""
    from bench.emoji_model import as_vectors
    from pipelines.common.emoji_diffusion.pipeline import load_emoji_pipeline
    from pipelines.common.config import get_settings

    pipe = load_emoji_pipeline(get_settings().emoji_model)
    drawn = pipe(list(ASKED), generator=[torch.Generator().manual_seed(i) for i in range(len(ASKED))],
                 output_type="np").images
    references = np.stack([font_emoji(char) for char in ASKED.values()])
    nearest = torch.cdist(as_vectors(drawn), as_vectors(references)).argmin(dim=1).tolist()
    assert nearest == list(range(len(ASKED))), dict(zip(ASKED, [list(ASKED)[i] for i in nearest]))


def test_a_given_picture_starts_denoising_from_its_own_latents():
    """SDEdit (#21): the picture's latents, noised to the first step run, replace the prior's guess; no prior needed."""
    pipe, seen = tiny_pipeline(), []
    picture = torch.rand(1, 3, 64, 64) * 2 - 1
    pipe(prompt_embeds=torch.randn(2, 5, 512), image=picture, num_inference_steps=4, strength=0.5,
         generator=[torch.Generator().manual_seed(s) for s in (3, 4)],
         callback_on_step_end=lambda pipe, i, t, kw: seen.append((int(t), kw["x_t"])))
    assert len(seen) == 2  # half of the schedule
    noise = torch.stack([torch.randn((4, 16, 16), generator=torch.Generator().manual_seed(s)) for s in (3, 4)])
    start = pipe.scheduler.add_noise(pipe.encode_image(picture).expand(2, -1, -1, -1), noise, torch.tensor([seen[0][0]] * 2))
    assert torch.allclose(seen[0][1], start, atol=1e-5)
    out = pipe(prompt_embeds=torch.randn(1, 5, 512), image=picture, num_inference_steps=2, output_type="np").images
    assert out.shape == (1, 64, 64, 3)  # the default strength for a picture, without a prior
