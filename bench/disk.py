"""Disk after a load run: what one burst of music and image requests leaves in the temp folders.

    .venv/bin/python -m bench.disk [--requests 40]

Prints the size of Gradio's cache (which serves the files; the outputs are written there once) and of
any staging folder left in the temp dir (/tmp/generative-studio-*: none since issue 18) after N music
pieces of 20 s and N image requests of 4 pictures. The client downloads into a folder of its own.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gs-bench-gradio-"))  # measured alone


def size_mb(root: Path) -> float:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 1e6 if root.exists() else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    from gradio_client import Client

    import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **app.LAUNCH_OPTIONS)
    staging = [Path(tempfile.gettempdir()) / f"generative-studio-{k}" for k in ("music", "images", "api")]
    before = {p.name: size_mb(p) for p in staging}
    downloads = tempfile.mkdtemp(prefix="gs-bench-client-")  # not Gradio's folder: it would count twice
    client, start = Client(app.demo.local_url, verbose=False, download_files=downloads), time.time()

    def music(i: int) -> int:
        result = client.predict(text="a rainy goodbye at the station", seconds=20, seed=i, api_name="/text_to_music")
        return Path(result["audio"]).stat().st_size

    def images(i: int) -> int:
        result = client.predict(prompt="red heart", num_images=4, seed=i, steps=10, api_name="/text_to_image")
        return sum(Path(p).stat().st_size for p in result["images"])

    with ThreadPoolExecutor(4) as pool:
        audio = list(pool.map(music, range(args.requests)))
        pictures = list(pool.map(images, range(args.requests)))
    print(f"{args.requests} pieces of 20 s + {args.requests} × 4 pictures in {time.time() - start:.0f} s")
    print(f"audio per piece: {sum(audio) / len(audio) / 1e3:.0f} kB (Ogg Vorbis); pictures per request: "
          f"{sum(pictures) / len(pictures) / 1e3:.1f} kB")
    for p in staging:
        print(f"{p}: {size_mb(p):.1f} MB (before {before[p.name]:.1f} MB)")
    cache = Path(os.environ["GRADIO_TEMP_DIR"])
    print(f"Gradio cache {cache}: {size_mb(cache):.1f} MB in {sum(1 for f in cache.rglob('*') if f.is_file())} files")
    app.demo.close()


if __name__ == "__main__":
    main()
