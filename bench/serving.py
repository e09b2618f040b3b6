"""Serving many at once (#22): throughput and latency at 1, 4, 16 and 32 simultaneous clients.

    .venv/bin/python -m bench.serving                          # every back end below, about 15 minutes
    .venv/bin/python -m bench.serving --modes batched,ray --clients 1,16

Each back end is the whole app (`python app.py`) on a free local port, with its settings:
- unbatched: GS_MAX_BATCH=1 GS_MODEL_WORKERS=1 GS_BATCH_CONCURRENCY=4, one request drawn at a time (as before #22);
- batched: the defaults: the in-process queues (pipelines/common/batching.py; GS_MODEL_WORKERS passes at a time, one
  per core), GS_BATCH_CONCURRENCY 16 requests of a batched model let in at once; batched-c4: the same with 4, the
  limit every other event has (GS_CONCURRENCY);
- gradio-batch: the other design, Gradio's own `batch=True, max_batch_size=32` on a bare endpoint, as many batches
  at once as GS_MODEL_WORKERS (images only);
- ray: a local Ray cluster started here (`ray start --head`, 2 CPUs), the app sending the models' work to its
  Serve deployments (GS_RAY_ADDRESS).
Clients are threads of this process calling the typed endpoints over raw HTTP (`/gradio_api/call/…` in a session of
their own, then fetching every file of the result, as gradio_client does), all released at the same moment each round: N clients
ask for 4 emoji pictures each (prompts and styles differ), or for a 20 s piece of one mood each (seeds differ).
Prints images (pieces) per second over all rounds, p50/p95 latency, the slowest request over the median, the ratio
to one client and the share of a core the clients themselves used (they run on the same machine). Then the
in-process cost of batch invariance (pipelines/common/batch_invariance.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.conftest import free_port  # noqa: E402

PROMPTS = ["red apple", "cat face, openmoji style", "rocket", "빨간 하트", "pizza, fluent 3d style", "sun", "고양이 얼굴",
           "green apple, twemoji style"]
IMAGES = ("/text_to_image", lambda i, seed: [PROMPTS[i % len(PROMPTS)], "", "emoji-diffusion", None, None, None, None,
                                             seed, 4], 4)
MUSIC = ("/text_to_music", lambda i, seed: ["a sunny picnic", "happy", 20, 0.9, 0, seed], 1)
MODES = {  # name: (environment of the app, what it serves)
    "unbatched": ({"GS_MAX_BATCH": "1", "GS_MODEL_WORKERS": "1", "GS_BATCH_CONCURRENCY": "4"}, (IMAGES, MUSIC)),
    "batched": ({}, (IMAGES, MUSIC)),
    "batched-c4": ({"GS_BATCH_CONCURRENCY": "4"}, (IMAGES, MUSIC)),
    "gradio-batch": ({}, (IMAGES,)),
    "ray": ({}, (IMAGES, MUSIC)),
}


# -- the servers ---------------------------------------------------------------------------------------
def start(command: list[str], env: dict, log: Path, url: str, ready: str = "") -> subprocess.Popen:
    """A server process; returns once `url` answers (and `ready` is in its log, where given)."""
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env}, stdout=open(log, "wb"),
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == 200 and (not ready or ready in log.read_text(errors="replace")):
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{command} ended: see {log}")
        time.sleep(0.5)
    process.kill()
    raise TimeoutError(f"{command} did not start: see {log}")


def start_head(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([str(Path(sys.executable).parent / "ray"), "start", "--head", f"--port={port}",
                                "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", "--block"],
                               stdout=open(folder / "head.log", "wb"), stderr=subprocess.STDOUT)
    time.sleep(10)
    return process, f"127.0.0.1:{port}"


def start_mode(mode: str, folder: Path, address: str = "") -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**MODES[mode][0], "GRADIO_SERVER_PORT": str(port), "GS_DATA_DIR": str(folder / mode)}
    if mode == "ray":
        env["GS_RAY_ADDRESS"] = address
    command = ([sys.executable, "-m", "bench.serving", "--gradio-batch-server", str(port)] if mode == "gradio-batch"
               else [sys.executable, "app.py"])
    url = f"http://127.0.0.1:{port}"
    return start(command, env, folder / f"{mode}.log", f"{url}/gradio_api/info"), url


# -- the clients ---------------------------------------------------------------------------------------
def call(http: httpx.Client, url: str, api: str, data: list, session: str) -> float:
    """One request as a client makes it: the call (in the client's own session, which a gradio_client keeps for
    all its calls), its result, then every file of the result; seconds taken."""
    start = time.perf_counter()
    event = http.post(f"{url}/gradio_api/call{api}", json={"data": data, "session_hash": session}).json()["event_id"]
    kind, result = "", None
    with http.stream("GET", f"{url}/gradio_api/call{api}/{event}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                result = line[5:]
                break
    if kind != "complete":
        raise RuntimeError(f"{api} failed: {str(result)[:300]}")
    for file_url in _urls(httpx.Response(200, content=result).json()):
        http.get(file_url).raise_for_status()
    return time.perf_counter() - start


def _urls(value) -> list[str]:
    if isinstance(value, dict):
        return [value["url"]] if isinstance(value.get("url"), str) else [u for v in value.values() for u in _urls(v)]
    return [u for v in value for u in _urls(v)] if isinstance(value, list) else []


def load(url: str, kind: tuple, clients: int, rounds: int) -> dict:
    """`rounds` rounds of `clients` simultaneous requests: per second over the rounds, latencies, fairness."""
    api, make, per_request = kind
    latencies, busy, worst, client_cpu = [], 0.0, [], 0.0
    with httpx.Client(timeout=600, limits=httpx.Limits(max_connections=4 * clients + 8)) as http:
        for r in range(rounds):
            barrier, times, errors = threading.Barrier(clients + 1), [0.0] * clients, []

            def client(i: int) -> None:
                barrier.wait()
                try:
                    times[i] = call(http, url, api, make(i, 1000 * r + i), f"bench-{api.strip('/')}-{i}")
                except Exception as exc:  # noqa: BLE001 — counted: the run must have none
                    errors.append(exc)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
            for thread in threads:
                thread.start()
            barrier.wait()
            start, cpu = time.perf_counter(), time.process_time()
            for thread in threads:
                thread.join()
            busy += time.perf_counter() - start
            client_cpu += time.process_time() - cpu  # the clients share the machine with the server
            if errors:
                raise RuntimeError(f"{len(errors)} of {clients} requests failed: {errors[0]}")
            latencies += times
            worst.append(max(times) / statistics.median(times))
    latencies.sort()
    return {"rate": clients * rounds * per_request / busy, "p50": statistics.median(latencies),
            "p95": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))], "worst": max(worst),
            "client_cores": client_cpu / busy}


# -- Gradio's own batching, for comparison -------------------------------------------------------------------------
def gradio_batch_server(port: int) -> None:
    """A bare app whose one endpoint takes its requests in Gradio's batches (batch=True): the other design."""
    import gradio as gr

    from pipelines.common.config import get_settings
    from pipelines.common.outputs import output_folder
    from pipelines.text_to_image.backends import EMBEDDED, get_backend
    from pipelines.text_to_image.request import ImageRequest

    backend = get_backend(EMBEDDED)

    def draw(prompts, negatives, models, steps, guidance, widths, heights, seeds, counts):
        requests = [ImageRequest.from_user(prompt=p, seed=s, num_images=n).for_model(backend)
                    for p, s, n in zip(prompts, seeds, counts)]
        folder, galleries = output_folder("images"), []
        for request, images in zip(requests, backend.draw_many(requests)):
            paths = [folder / f"image_{seed}.png" for seed in request.seeds]
            for image, path in zip(images, paths):
                image.save(path)
            galleries.append([str(path) for path in paths])
        return [galleries]

    with gr.Blocks() as demo:
        inputs = [gr.Textbox(), gr.Textbox(), gr.Textbox(), gr.Number(), gr.Number(), gr.Number(), gr.Number(),
                  gr.Number(precision=0), gr.Number(precision=0)]
        button, gallery = gr.Button(), gr.Gallery()
        button.click(draw, inputs, [gallery], batch=True, max_batch_size=32, api_name="text_to_image",
                     concurrency_limit=get_settings().model_workers)  # as many passes at once as the queue runs
    demo.queue().launch(server_port=port, prevent_thread_lock=False, quiet=True)


# -- in-process: what invariance costs -----------------------------------------------------------------------------
def invariance_cost(seconds: float = 1.5, rounds: int = 3) -> list[tuple[int, float, float]]:
    """(batch, images/s plain, images/s batch-invariant): the shipped emoji model, 25 steps asked (8 run), one
    worker; the two models take turns, `rounds` times, and the medians are kept (the machine's other work varies)."""
    import torch

    from pipelines.common.config import get_settings
    from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline, load_emoji_pipeline

    torch.set_num_threads(get_settings().torch_threads)
    plain = EmojiDiffusionPipeline.from_pretrained(get_settings().emoji_model, dtype=torch.float32)
    plain.set_progress_bar_config(disable=True)
    invariant = load_emoji_pipeline(get_settings().emoji_model)
    embeds = torch.cat([plain.encode_prompt([p]) for p in PROMPTS] * 4)

    def rate(pipe, batch: int) -> float:
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            pipe(prompt_embeds=embeds[:batch], generator=[torch.Generator().manual_seed(s) for s in range(batch)])
            done += batch
        return done / (time.perf_counter() - start)

    out = []
    for batch in (1, 4, 32):
        rate(plain, batch), rate(invariant, batch)  # warm: oneDNN's kernels for these shapes
        pairs = [(rate(plain, batch), rate(invariant, batch)) for _ in range(rounds)]
        out.append((batch, statistics.median(p for p, _ in pairs), statistics.median(i for _, i in pairs)))
    return out


# -- the run ---------------------------------------------------------------------------------------------------
def measure(modes: list[str], clients: list[int], folder: Path) -> dict:
    results, head = {}, None
    try:
        for mode in modes:
            address = ""
            if mode == "ray":
                head, address = start_head(folder)
            server, url = start_mode(mode, folder, address)
            try:
                for kind in MODES[mode][1]:
                    call(httpx.Client(timeout=600), url, kind[0], kind[1](0, 99), "bench-warm-up")  # loads the model
                    if mode == "ray":
                        wait_for_cluster(url, kind, folder / "ray.log")
                    load(url, kind, 4, 1)  # every worker thread's and worker process's first pass
                    for n in clients:
                        results[(mode, kind[0], n)] = load(url, kind, n, rounds=max(3, 48 // n))
                        print(mode, kind[0], n, {k: round(v, 2) for k, v in results[(mode, kind[0], n)].items()},
                              flush=True)
            finally:
                server.terminate()
                server.wait(60)
            if head is not None:
                head.terminate()
                head.wait(120)
                head = None
    finally:
        if head is not None:
            head.terminate()
    return results


def wait_for_cluster(url: str, kind: tuple, log: Path, timeout: float = 300) -> None:
    """Keep asking until the app says it is connected (it connects, and deploys, on its first model call)."""
    deadline = time.monotonic() + timeout
    while "Connected to the Ray cluster" not in log.read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(2)
    for i in range(3):  # the replicas' first passes
        call(httpx.Client(timeout=600), url, kind[0], kind[1](i, 99), f"bench-warm-up-{i}")


def report(results: dict, clients: list[int], cost: list) -> None:
    for api, unit in (("/text_to_image", "images"), ("/text_to_music", "pieces")):
        rows = [(mode, n) for mode in MODES for n in clients if (mode, api, n) in results]
        if not rows:
            continue
        print(f"\n| back end | clients | {unit}/s | × one client | p50 s | p95 s | slowest / median | client CPU |")
        print("|---|---|---|---|---|---|---|---|")
        for mode, n in rows:
            r, one = results[(mode, api, n)], results.get((mode, api, clients[0]))
            ratio = f"{r['rate'] / one['rate']:.2f}×" if one else ""
            print(f"| {mode} | {n} | {r['rate']:.1f} | {ratio} | {r['p50']:.2f} | {r['p95']:.2f} | {r['worst']:.2f} | "
                  f"{r['client_cores']:.0%} |")
    if cost:
        print("\n| batch | images/s, plain | images/s, batch-invariant | cost |")
        print("|---|---|---|---|")
        for batch, plain, invariant in cost:
            print(f"| {batch} | {plain:.1f} | {invariant:.1f} | {1 - invariant / plain:+.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--clients", default="1,4,16,32")
    parser.add_argument("--skip-invariance", action="store_true")
    parser.add_argument("--gradio-batch-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gradio_batch_server:
        return gradio_batch_server(args.gradio_batch_server)
    clients = [int(n) for n in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        results = measure(args.modes.split(","), clients, Path(tmp))
    cost = [] if args.skip_invariance else invariance_cost()
    report(results, clients, cost)
    print(f"\n{os.cpu_count()} CPUs, GS_TORCH_THREADS={os.environ.get('GS_TORCH_THREADS', '1 (default)')}")


if __name__ == "__main__":
    main()
