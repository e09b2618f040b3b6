"""The API as a product: the README's client example runs as written, and view_api() names everything."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
# The endpoints PRODUCT.md promises (stable names) that exist in this app, plus the tabs' extra ones.
PROMISED = {"/text_to_image", "/compare_images", "/tag_mood", "/text_to_music", "/latent_samples", "/latent_arithmetic",
            "/latent_interpolate", "/quiz_new_round", "/quiz_answer"}
EXTRA = {"/compare_music", "/latent_edit", "/latent_nearest", "/latent_compare", "/ping",
         "/learn_samples", "/learn_compare", "/learn_decode", "/learn_denoise", "/learn_train"}
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
