"""Every public endpoint under hostile input, through gradio_client and raw HTTP (issue 12).

Each case is a cheap valid call with one input replaced by a hostile value (wrong types, huge and odd
strings, unicode digits, lone surrogates, out-of-range numbers, deep nesting, server paths and URLs
where files belong), plus calls with too few or too many inputs. Every call must finish, and every
error must be a sentence: no Python exception text, no more than 100 characters of the input echoed.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client

CALL_TIMEOUT = 90  # seconds; a hang shows as a timeout
PYTHON_TEXT = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b:|invalid literal|codec|Errno|object at 0x|File \"")

# A cheap valid call per endpoint (tiny sizes, one step), in parameter order; each case replaces one value.
BASE = {
    "text_to_image": dict(prompt="a", negative_prompt="", model="emoji-diffusion", steps=1, guidance=1.0, width=32, height=32,
                          seed=0, num_images=1, scheduler="default", style="auto", strength=0.3),
    "compare_images": dict(prompt="a", models=["emoji-diffusion"], seed=0, steps=[1], schedulers=["default"]),
    "tag_mood": dict(text="a calm lake"),
    "text_to_music": dict(text="a calm lake", mood="calm", seconds=1, temperature=0.9, top_k=0, seed=0, tempo=0, instrument=-1,
                          primer=None, primer_notes="", parts=None, harmony_instrument=-1, bass_instrument=-1, model="studio"),
    "harmonize": dict(melody=None, melody_notes="C4 D4", mood="calm", seed=0, tempo=0, parts=None),
    "compare_music": dict(text="a calm lake", seconds=1, seed=0),
    "image_to_image": dict(image=None, prompt="", negative_prompt="", model="emoji-diffusion", style="noto", strength=0.6,
                           steps=1, guidance=1.0, seed=0, num_images=1),
    "restyle": dict(image=None, model="emoji-diffusion", seed=0, strength=0.05),
    "compare_restyles": dict(image=None, seed=0),
    "latent_samples": dict(generator="fashion-mnist", seed=0, count=1, truncation=0.8),
    "latent_arithmetic": dict(a_seeds=[1], b_seeds=[2], c_seeds=[3], generator="fashion-mnist", truncation=0.8),
    "latent_interpolate": dict(seed_a=0, seed_b=1, steps=2, generator="fashion-mnist", mode="linear", truncation=0.8),
    "latent_edit": dict(seed=0, generator="fashion-mnist", truncation=0.8, pc1=0.0, pc2=0.0, pc3=0.0, pc4=0.0, pc5=0.0,
                        trait_with=None, trait_without=None, trait_amount=0.0),
    "latent_nearest": dict(image=None, generator="fashion-mnist"),
    "latent_compare": dict(generators=["fashion-mnist"], seed=0, count=1, truncation=0.8),
    "quiz_new_round": dict(mode="pair"),
    "quiz_answer": dict(choice="left"),
    "ping": dict(),
    "history": dict(page=0),
    "history_delete": dict(id="nothing-here"),
    "quiz_stats": dict(),
    "learn_samples": dict(family="pixel", dataset="mnist", count=1, seed=0),
    "learn_compare": dict(dataset="mnist", seed=0),
    "learn_decode": dict(family="vae", dataset="mnist", x=0.0, y=0.0, x2=None, y2=None, frames=2),
    "learn_denoise": dict(model="mnist-diffusion", label=-1, seed=0, steps=1),
    "learn_train": dict(family="pixel", dataset="mnist", lr=0.01, latent_dim=2, steps=10, seed=0),
}
SURROGATE = "x\ud800y"  # cannot be encoded as UTF-8: only raw HTTP (JSON's \ud800 escape) can send it
HOSTILE = [
    None, True, False, 0, -1, 1.5, -2**63, 2**64, 10**30, 1e308, -1e308, "", " ", "abc", "²", "①", "١٢٣", "１２３", "12",
    SURROGATE, "<script>alert(1)</script>", "a" * 5_000, "é" * 300, "../../etc/passwd", "/etc/passwd", "~root", "/dev/zero",
    "\x00", "%s%n{0}", "C4 X9 ²", "1, two, ③", [], [1, 2, 3], ["a"] * 200, [None], [[[[[[[[[[[[1]]]]]]]]]]]], {}, {"a": 1},
    {"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, {"path": "/etc/passwd"},
    {"path": "http://127.0.0.1:1/x.png", "url": "http://127.0.0.1:1/x.png", "meta": {"_type": "gradio.FileData"}},
    "x" * 300_000, "NaN", "Infinity", "−5",
]
EXPENSIVE = {"compare_music": 12, "harmonize": 20, "restyle": 12, "compare_restyles": 8, "compare_images": 20, "text_to_music": 20, "learn_compare": 8, "learn_train": 12}  # fewer values where a valid one runs long


def cases() -> list[tuple[str, dict, list | None]]:
    """(endpoint, kwargs, raw data override): every hostile value once per endpoint, each into a parameter
    picked in turn (so every parameter gets several), plus calls with no inputs and too many."""
    rng = random.Random(12)
    out = []
    for name, base in BASE.items():
        params = list(base)
        values = rng.sample(HOSTILE, EXPENSIVE[name]) if name in EXPENSIVE else HOSTILE
        for i, value in enumerate(values):
            if params:
                out.append((name, {**base, params[(i + rng.randrange(len(params))) % len(params)]: value}, None))
        out.append((name, base, []))  # no inputs at all
        out.append((name, base, list(base.values()) + ["extra", 1, None]))  # too many
    return out


def echoed(value, message: str) -> bool:
    """Whether more than 100 characters of the input came back."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return len(text) > 100 and any(text[i : i + 101] in message for i in range(0, min(len(text) - 100, 2000), 50))


class Caller:
    def __init__(self, url: str) -> None:
        self.url, self.local = url, threading.local()

    def client(self) -> Client:
        if not hasattr(self.local, "client"):
            self.local.client = Client(self.url, verbose=False)
        return self.local.client

    def via_client(self, name: str, kwargs: dict) -> tuple[str, str]:
        try:
            self.client().predict(**kwargs, api_name=f"/{name}")
            return "ok", ""
        except Exception as exc:  # AppError carries the app's message
            return "error", str(exc)

    def via_http(self, name: str, data: list, korean: bool) -> tuple[str, str]:
        headers = {"content-type": "application/json", "accept-language": "ko" if korean else "en"}
        body = json.dumps({"data": data}, ensure_ascii=True)  # ASCII: a lone surrogate travels as \ud800
        with httpx.Client(timeout=CALL_TIMEOUT) as http:
            posted = http.post(f"{self.url}/gradio_api/call/{name}", content=body, headers=headers)
            if posted.status_code != 200:
                return "refused", posted.json().get("detail", posted.text) if posted.text.startswith("{") else posted.text
            stream = http.get(f"{self.url}/gradio_api/call/{name}/{posted.json()['event_id']}").text
        event = re.search(r"event: (\w+)\ndata: (.*)", stream)
        if event and event.group(1) == "complete":
            return "ok", ""
        payload = json.loads(event.group(2)) if event else {"error": stream}
        return "error", str((payload or {}).get("error") if isinstance(payload, dict) else payload)


def test_every_public_endpoint_survives_hostile_input(app_url):
    caller, all_cases = Caller(app_url), cases()
    names = set(Client(app_url, verbose=False).view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {f"/{n}" for n in BASE} == names  # the fuzz covers exactly the public endpoints

    def run(index_case):
        i, (name, kwargs, raw) = index_case
        hostile = next((v for k, v in kwargs.items() if BASE[name].get(k, object()) is not v), raw)
        start = time.monotonic()
        use_http = raw is not None or i % 2 == 0 or (isinstance(hostile, str) and "\ud800" in hostile)
        if use_http:
            outcome, message = caller.via_http(name, list(kwargs.values()) if raw is None else raw, korean=i % 5 == 0)
        else:
            outcome, message = caller.via_client(name, kwargs)
        return name, "http" if use_http else "client", hostile, outcome, message, time.monotonic() - start

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, enumerate(all_cases)))
    elapsed = time.monotonic() - started

    assert len(results) >= 500
    table: dict[str, Counter] = defaultdict(Counter)
    problems = []
    for name, route, hostile, outcome, message, seconds in results:
        table[name][f"{route} {outcome}"] += 1
        if seconds > CALL_TIMEOUT:
            problems.append((name, "slow", seconds))
        if outcome != "ok":
            if PYTHON_TEXT.search(message) or not message.strip():
                problems.append((name, "python text", message[:200]))
            if echoed(hostile, message) or len(message) > 600:
                problems.append((name, "echo", message[:200]))
    print(f"\n{len(results)} hostile calls in {elapsed:.0f} s")
    for name in BASE:
        print(f"  /{name}: {dict(table[name])}")
    assert not problems, problems[:10]
    # Still alive and answering, by both routes.
    assert Client(app_url, verbose=False).predict(api_name="/ping") == "ok"
    assert httpx.get(f"{app_url}/gradio_api/info", timeout=10).status_code == 200


def test_malformed_requests_get_a_sentence(app_url):
    with httpx.Client(timeout=30) as http:
        not_a_list = http.post(f"{app_url}/gradio_api/call/tag_mood", json={"data": "x" * 5000})
        unknown = http.post(f"{app_url}/gradio_api/call/no_such_endpoint", json={"data": []})
    assert not_a_list.status_code == 422 and "x" * 101 not in not_a_list.text and "must be JSON" in not_a_list.text
    assert unknown.status_code == 404 and "no such endpoint" in unknown.text


@pytest.mark.parametrize("value, message", [("²", "digits 0–9"), ("١٢٣", "digits 0–9"), ("１２３", "digits 0–9"), ("①", "digits 0–9")])
def test_unicode_digits_are_refused_not_read(client, value, message):
    with pytest.raises(Exception, match=message):
        client.predict(seed=value, api_name="/latent_samples")


@pytest.mark.parametrize("depth", [0, 3, 6, 40])
def test_a_server_path_nested_at_any_depth_is_refused_without_echo(app_url, depth):
    """A file reference to a server path, wrapped in `depth` lists, never reaches Gradio's own text (which quotes it)."""
    value = {"path": "/etc/hostname", "meta": {"_type": "gradio.FileData"}}
    for _ in range(depth):
        value = [value]
    outcome, message = Caller(app_url).via_http("latent_nearest", [value, "fashion-mnist"], korean=False)
    assert outcome != "ok" and "/etc/hostname" not in message and not PYTHON_TEXT.search(message), message
