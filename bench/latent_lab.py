"""Latent Lab benchmark: ratios measured in one run (the machines are noisy), not a timed test.

    .venv/bin/python -m bench.latent_lab

1. Page up: seconds from `python app.py` to the page answering.
2. Slider latency: /latent_edit against /ping (a trivial endpoint), interleaved, medians.
3. 16 concurrent clients moving sliders: errors and total time.
4. Memory (RSS) of the server after every model of the tab has been used.
5. torch threads: one slider image in-process with 1 and with 2 threads.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import free_port  # noqa: E402


def wait_for_page(url: str, timeout: float = 60) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def rss_mib(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def edit_args(i: int) -> dict:
    """One slider move of the i-th round, by name (the endpoint's parameters are named, not positional)."""
    return dict(generator="digiface", seed=5, truncation=0.8, pc1=(i % 20) / 4 - 2.5)


def slider_latency(client, rounds: int = 40) -> tuple[float, float]:
    ping, edit = [], []
    for i in range(rounds):
        t = time.perf_counter()
        client.predict(api_name="/ping")
        ping.append(time.perf_counter() - t)
        t = time.perf_counter()
        client.predict(**edit_args(i), api_name="/latent_edit")
        edit.append(time.perf_counter() - t)
    return statistics.median(ping) * 1000, statistics.median(edit) * 1000


def concurrent_clients(url: str, clients: int = 16, moves: int = 5) -> tuple[int, int, float]:
    from gradio_client import Client

    def one(k: int) -> int:
        client = Client(url, verbose=False)
        errors = 0
        for i in range(moves):
            try:
                result = client.predict(**edit_args(k * moves + i), api_name="/latent_edit")
                errors += not Path(result["image"]).is_file()  # the typed endpoint names its result
            except Exception:
                errors += 1
        return errors

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        errors = sum(pool.map(one, range(clients)))
    return clients * moves, errors, time.perf_counter() - start


def use_every_model(client) -> None:
    for generator in ("digiface", "fashion-mnist"):
        client.predict(generator=generator, seed=0, count=8, truncation=0.8, api_name="/latent_samples")
        edited = client.predict(generator=generator, seed=1, truncation=0.8, pc1=1, api_name="/latent_edit")
    from gradio_client import handle_file

    client.predict(image=handle_file(edited["image"] if isinstance(edited, dict) else edited), generator="fashion-mnist", api_name="/latent_nearest")


def thread_ratio() -> tuple[float, float]:
    import torch

    from pipelines.latent_lab.pipeline import EditRequest, load_lab

    lab = load_lab("digiface")
    lab.directions  # noqa: B018 - computed once, outside the timing
    times = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        lab.edit(EditRequest(seed=5, truncation=0.8, amounts=[1]))
        start = time.perf_counter()
        for i in range(30):
            lab.edit(EditRequest(seed=5, truncation=0.8, amounts=[i / 10 - 1.5]))
        times[threads] = (time.perf_counter() - start) / 30 * 1000
    return times[1], times[2]


def main() -> None:
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        page_up = wait_for_page(url)
        print(f"page up after `python app.py`: {page_up:.1f} s (target ≤ 10 s)")
        client = Client(url, verbose=False)
        client.predict(**edit_args(0), api_name="/latent_edit")  # load the model and its directions first
        ping_ms, edit_ms = slider_latency(client)
        print(f"slider move: /latent_edit median {edit_ms:.0f} ms vs /ping {ping_ms:.0f} ms → +{edit_ms - ping_ms:.0f} ms over the floor (target ≤ 50 ms), ratio {edit_ms / ping_ms:.2f}")
        # The same without fetching the PNG afterwards: the answer alone, as a page gets it before loading the image.
        ping_ms, edit_ms = slider_latency(Client(url, verbose=False, download_files=False))
        print(f"  without downloading the image: /latent_edit {edit_ms:.0f} ms vs /ping {ping_ms:.0f} ms → +{edit_ms - ping_ms:.0f} ms")
        calls, errors, seconds = concurrent_clients(url)
        print(f"16 concurrent clients: {calls} slider moves, {errors} errors, {seconds:.1f} s ({calls / seconds:.0f} moves/s)")
        rss_before = rss_mib(server.pid)[0]
        use_every_model(client)
        rss, peak = rss_mib(server.pid)
        print(f"server memory: {rss_before:.0f} MiB after the slider runs, {rss:.0f} MiB after every model of the tab (peak {peak:.0f} MiB)")
    finally:
        server.terminate()
        server.wait(10)
    one, two = thread_ratio()
    print(f"one slider image in-process: {one:.1f} ms with 1 torch thread, {two:.1f} ms with 2 → 2 threads / 1 thread = {two / one:.2f}")


if __name__ == "__main__":
    main()
