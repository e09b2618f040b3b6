"""The other tabs while a live training runs: their response times, idle and during a training.

    .venv/bin/python -m bench.busy_app              # about 3 minutes
    .venv/bin/python -m bench.busy_app --repeats 5

Launches the whole app on a free local port (as the tests do), then through gradio_client times one
Latent Lab slider move (`/latent_edit`) and one 20-second music piece (`/text_to_music`), alternately,
`--repeats` times while nothing else runs, then the same while a "Train it yourself" run streams
(`/learn_train`, a diffusion model on MNIST: the heaviest family). Prints medians and busy/idle ratios
(issue 13 asks for within 1.5×). The training has its own queue (two at a time in the whole app), so the
question is whether it leaves CPU for the others: on a 2-core machine it shares them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

CALLS = {  # name: (endpoint, keyword arguments)
    "Latent Lab slider move": ("/latent_edit", dict(seed=3, generator="digiface", pc1=2.0)),
    "one 20 s music piece": ("/text_to_music", dict(text="a calm walk by the sea", seconds=20, seed=1)),
}


def timed(client, endpoint: str, kwargs: dict) -> float:
    start = time.perf_counter()
    client.predict(api_name=endpoint, **kwargs)
    return time.perf_counter() - start


def round_of(client, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in CALLS}
    for _ in range(repeats):
        for name, (endpoint, kwargs) in CALLS.items():
            times[name].append(timed(client, endpoint, kwargs))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--family", default="diffusion")
    args = parser.parse_args()

    import app
    from gradio_client import Client
    from tests.conftest import free_port

    app.demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                    **app.LAUNCH_OPTIONS)
    client = Client(app.demo.local_url, verbose=False)
    for endpoint, kwargs in CALLS.values():  # warm: models loaded, caches filled
        timed(client, endpoint, kwargs)
    idle = round_of(client, args.repeats)

    trainer = Client(app.demo.local_url, verbose=False)  # its own session, as another visitor
    job = trainer.submit(args.family, "mnist", None, None, 5000, 0, api_name="/learn_train")
    start = time.perf_counter()
    while job.status().code.name not in ("PROCESSING", "ITERATING") and time.perf_counter() - start < 60:
        time.sleep(0.2)
    time.sleep(3)  # past the first grid: the training loop is running
    busy = round_of(client, args.repeats)
    still_training = not job.done()
    job.cancel()
    app.demo.close()

    print(f"\n| call (median of {args.repeats}) | idle s | during a {args.family} training s | ratio |")
    print("|---|---|---|---|")
    for name in CALLS:
        print(f"| {name} | {idle[name]:.2f} | {busy[name]:.2f} | {busy[name] / idle[name]:.2f}× |")
    print(f"\nthe training was {'still' if still_training else 'no longer'} running when the last call ended; "
          f"GS_TORCH_THREADS={os.environ.get('GS_TORCH_THREADS', '1 (default)')}, {os.cpu_count()} CPUs")
    os._exit(0)  # gradio's worker threads would keep the process alive


if __name__ == "__main__":
    main()
