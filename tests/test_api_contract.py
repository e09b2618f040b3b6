"""The API as a product: the README's client example runs as written, and view_api() names everything."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
# The endpoints PRODUCT.md promises (stable names) that exist in this app, plus the tabs' extra ones.
PROMISED = {"/text_to_image", "/compare_images", "/tag_mood", "/text_to_music", "/latent_samples", "/latent_arithmetic",
            "/latent_interpolate", "/quiz_new_round", "/quiz_answer"}
EXTRA = {"/compare_music", "/harmonize", "/image_to_image", "/restyle", "/compare_restyles", "/latent_edit", "/latent_nearest", "/latent_compare", "/ping",
         "/learn_samples", "/learn_compare", "/learn_decode", "/learn_denoise", "/learn_train",
         "/history", "/history_delete", "/quiz_stats"}
UNNAMED = re.compile(r"^(param_\d+|parameter_\d+|value_\d+|\d+(st|nd|rd|th)|key|)$")


def readme_example() -> str:
    api = README.read_text().split("\n## API\n", 1)[1]
    return re.search(r"```python\n(.*?)```", api, re.S).group(1)


def test_the_readme_client_example_runs_verbatim(app_url, capsys):
    code = readme_example().replace("http://127.0.0.1:7860/", app_url + "/")
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "Nearest training image" in printed and "calm" in printed


def test_view_api_names_every_parameter_and_result(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == PROMISED | EXTRA
    for name, info in endpoints.items():
        for parameter in info["parameters"]:
            assert not UNNAMED.match(parameter["parameter_name"]), (name, parameter["parameter_name"])
            assert "any" not in parameter["python_type"]["type"].lower() or name == "/quiz_new_round", (name, parameter)
        for result in info["returns"]:
            assert isinstance(result["label"], str) and not UNNAMED.match(result["label"]), (name, result["label"])
        assert info["description"], name  # from the docstring


@pytest.mark.parametrize("name, required", [("/text_to_image", {"prompt"}), ("/text_to_music", set()), ("/tag_mood", {"text"}),
                                            ("/quiz_new_round", set()), ("/latent_samples", set())])
def test_only_what_is_needed_is_required(client, name, required):
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"][name]
    assert {p["parameter_name"] for p in info["parameters"] if not p["parameter_has_default"]} == required


def schema_choices(schema: dict) -> set | None:
    """The choices a parameter's JSON schema lists (through nullable and list wrappers), or None."""
    for key in ("oneOf", "anyOf"):
        for option in schema.get(key, []):
            if (found := schema_choices(option)) is not None:
                return found
    if "items" in schema:
        return schema_choices(schema["items"])
    return set(schema["enum"]) if "enum" in schema else None


def test_every_enumerated_parameter_lists_its_choices(client):
    """A program reading the schema sees each choice parameter's values (#23), the same ones the pipelines check."""
    from pipelines.common.emoji_diffusion.styles import STYLES
    from pipelines.face_quiz.pipeline import CHOICES
    from pipelines.latent_lab.pipeline import GENERATORS, INTERPOLATION_MODES
    from pipelines.learn.data import DATASETS
    from pipelines.learn.families import FAMILIES, LATENT_FAMILIES
    from pipelines.learn.pipeline import DENOISERS
    from pipelines.text_to_image.schedulers import SCHEDULER_CHOICES
    from pipelines.text_to_music.arrange import PARTS
    from pipelines.text_to_music.moods import MOODS

    expected = {
        ("/text_to_image", "style"): {"auto", *STYLES}, ("/text_to_image", "scheduler"): set(SCHEDULER_CHOICES),
        ("/compare_images", "schedulers"): set(SCHEDULER_CHOICES), ("/text_to_music", "mood"): {"auto", *MOODS},
        ("/text_to_music", "model"): {"studio", "musicgen"}, ("/text_to_music", "parts"): set(PARTS),
        ("/harmonize", "mood"): {"auto", *MOODS}, ("/harmonize", "parts"): set(PARTS),
        ("/image_to_image", "style"): set(STYLES), ("/restyle", "model"): {"emoji-stargan", "emoji-diffusion"},
        **{(f"/latent_{n}", "generator"): set(GENERATORS) for n in ("samples", "arithmetic", "interpolate", "edit", "nearest")},
        ("/latent_compare", "generators"): set(GENERATORS), ("/latent_interpolate", "mode"): set(INTERPOLATION_MODES),
        ("/quiz_new_round", "mode"): set(CHOICES), ("/quiz_answer", "choice"): {*CHOICES["pair"], *CHOICES["single"]},
        ("/learn_samples", "family"): set(FAMILIES), ("/learn_train", "family"): set(FAMILIES),
        ("/learn_decode", "family"): set(LATENT_FAMILIES), ("/learn_denoise", "model"): set(DENOISERS),
        **{(f"/learn_{n}", "dataset"): set(DATASETS) for n in ("samples", "compare", "decode", "train")},
    }
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    listed = {(name, p["parameter_name"]): schema_choices(p["type"]) for name, info in endpoints.items()
              for p in info["parameters"]}
    assert {key: listed.get(key) for key in expected} == expected
    # No other parameter is a plain string that secretly takes only a few values: those named here are free text.
    free_text = {"prompt", "negative_prompt", "model", "text", "primer_notes", "melody_notes", "steps", "trait_with", "trait_without", "models", "id"}
    plain_strings = {(name, p["parameter_name"]) for name, info in endpoints.items() for p in info["parameters"]
                     if p["type"].get("type") == "string" and "enum" not in p["type"]}
    assert {key for key in plain_strings if key[1] not in free_text} == set()
