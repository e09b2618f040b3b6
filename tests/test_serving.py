"""The models on a Ray cluster (#22): a local cluster started here (`ray start --head`, 2 CPUs), the app's side of
it (pipelines.common.serving) connecting, deploying and calling through deployment handles.

The same seed gives the same picture and piece through Serve as in-process; a replica killed mid-load is replaced
and the requests after it succeed; a cluster that cannot be reached, or is lost, leaves the work in this process
with a plain sentence. The tests run in file order: the last one stops the cluster.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

ray = pytest.importorskip("ray")

from pipelines.common.emoji_diffusion.pipeline import EmojiDiffusionPipeline, build_components  # noqa: E402
from pipelines.common.emoji_diffusion.prior import LayoutPrior  # noqa: E402
from pipelines.common.serving.client import FALLBACK, Cluster, remote_or_local  # noqa: E402
from pipelines.text_to_image.backends import EmojiBackend  # noqa: E402
from pipelines.text_to_image.request import ImageRequest  # noqa: E402
from pipelines.text_to_music.batched import in_process  # noqa: E402
from pipelines.text_to_music.generate import piece_job  # noqa: E402
from pipelines.text_to_music.pipeline import get_music_model  # noqa: E402
from tests.conftest import free_port  # noqa: E402

RAY = Path(sys.executable).parent / "ray"
KILL_REPLICA = """
import ray, sys
ray.init(address=sys.argv[1], log_to_driver=False, logging_level="ERROR")
replicas = [a for a in ray.util.list_named_actors(all_namespaces=True) if "EmojiModel" in a["name"]]
print("ready", flush=True)
sys.stdin.readline()  # the test says when: with its load in flight
for actor in replicas:
    ray.kill(ray.get_actor(actor["name"], namespace=actor["namespace"]), no_restart=True)
    print(actor["name"], flush=True)
"""


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def head(tmp_path_factory):
    """A one-machine Ray cluster of 2 CPUs (`--block`: stopping this process stops all of it)."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("ray") / "head.log", "wb")
    process = subprocess.Popen([str(RAY), "start", "--head", f"--port={port}", "--num-cpus=2", "--num-gpus=0",
                                "--include-dashboard=false", "--disable-usage-stats", "--block"],
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not listening(port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert listening(port), "the Ray head did not start"
    yield process, f"127.0.0.1:{port}"
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=120)


@pytest.fixture(scope="module")
def emoji_folder(tmp_path_factory):
    torch.manual_seed(0)
    unet, vae, scheduler = build_components(channels=(32, 32, 32), vae_channels=(8, 8, 8), attention_head_dim=8)
    pipe = EmojiDiffusionPipeline(unet=unet, vae=vae, scheduler=scheduler, prior=LayoutPrior(width=32, depth=1),
                                  max_words=4, strength=0.5)
    folder = tmp_path_factory.mktemp("tiny_emoji")
    pipe.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def cluster(head, emoji_folder):
    """The app's side, connected (its replicas read the app's GS_* settings: this tiny emoji model)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GS_EMOJI_MODEL", str(emoji_folder))
        connected = Cluster(head[1], call_timeout=90, retry_after=2)
        assert connected.wait_connected(300), "could not connect and deploy"
    yield connected
    connected.close()


@pytest.fixture(scope="module")
def local_emoji(emoji_folder):
    return EmojiBackend(str(emoji_folder))


def request(backend, seed: int, prompt: str = "red apple", images: int = 2) -> ImageRequest:
    return ImageRequest.from_user(prompt=prompt, seed=seed, num_images=images, steps=6).for_model(backend)


def pixels(images) -> list[bytes]:
    return [np.asarray(image).tobytes() for image in images]


def test_the_same_seed_gives_the_same_picture_and_piece_through_serve_as_in_process(cluster, local_emoji):
    asked = [request(local_emoji, 3), request(local_emoji, 8, "고양이 얼굴", 1)]
    served = [cluster.call("emoji", one) for one in asked]
    assert [pixels(images) for images in served] == [pixels(local_emoji.draw_here(one)) for one in asked]
    job = piece_job(8, 120, 0.9, 0, 5, mood="happy")
    assert cluster.call("music", job) == in_process(get_music_model("happy"))(job, None)
    assert cluster.fell_back == 0 and cluster.served == 3


def test_a_replica_killed_mid_load_is_replaced_and_the_requests_after_it_succeed(head, cluster, local_emoji):
    asked = [request(local_emoji, seed, images=4) for seed in range(10, 34)]
    results: list = [None] * len(asked)

    def ask(i: int) -> None:
        results[i] = remote_or_local("emoji", asked[i], lambda: local_emoji.draw_here(asked[i]), cluster=cluster)

    killer = subprocess.Popen([sys.executable, "-c", KILL_REPLICA, head[1]], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert killer.stdout.readline().strip() == "ready", killer.stderr.read()[-2000:]
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(asked))]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    in_flight = sum(result is None for result in results)
    killer.communicate("kill\n", timeout=120)
    assert in_flight > 0  # the replica died with requests on their way or inside it
    for thread in threads:
        thread.join(timeout=300)
    # Every request of the load got its own pictures: through a replica, or here where its replica died under it.
    for one, outcome in zip(asked, results):
        assert outcome is not None and pixels(outcome[0]) == pixels(local_emoji.draw_here(one))
    print(f"\n{in_flight} of {len(asked)} requests in flight at the kill; {sum(bool(n) for _, n in results)} redone here")
    served = cluster.served
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # the replacement comes up; requests go through Serve again
        images, notices = remote_or_local("emoji", asked[0], lambda: local_emoji.draw_here(asked[0]), cluster=cluster)
        if cluster.served > served and not notices:
            break
        time.sleep(1)
    assert cluster.served > served, "no request went through Serve after the replica was killed"
    after = [cluster.call("emoji", one) for one in asked[:3]]
    assert [pixels(images) for images in after] == [pixels(local_emoji.draw_here(one)) for one in asked[:3]]


def test_an_unreachable_cluster_leaves_the_work_here_with_a_sentence(local_emoji, caplog):
    nowhere = Cluster(f"127.0.0.1:{free_port()}", connect_timeout=20, retry_after=600)
    one = request(local_emoji, 1)
    with caplog.at_level(logging.WARNING, logger="generative_studio"):
        start = time.monotonic()
        images, notices = remote_or_local("emoji", one, lambda: local_emoji.draw_here(one), cluster=nowhere)
        assert time.monotonic() - start < 10 and notices == []  # not waiting for the cluster: done here at once
        assert pixels(images) == pixels(local_emoji.draw_here(one))
        deadline = time.monotonic() + 30
        while "could not be reached" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.2)
    assert "The Ray cluster at 127.0.0.1:" in caplog.text and "could not be reached (ConnectionError: nothing answers" in \
        caplog.text and "the models run in this process" in caplog.text and "Traceback" not in caplog.text
    nowhere.close()


def test_a_cluster_lost_while_running_leaves_the_work_here(head, cluster, local_emoji, caplog):
    """Runs last: it stops the cluster."""
    one = request(local_emoji, 30)
    assert cluster.call("emoji", one) is not None
    process, _ = head
    with caplog.at_level(logging.WARNING, logger="generative_studio"):
        process.terminate()
        process.wait(timeout=120)
        start = time.monotonic()
        images, notices = remote_or_local("emoji", one, lambda: local_emoji.draw_here(one), cluster=cluster)
        took = time.monotonic() - start
        again, later = remote_or_local("emoji", one, lambda: local_emoji.draw_here(one), cluster=cluster)
    assert pixels(images) == pixels(again) == pixels(local_emoji.draw_here(one))
    assert notices in ([], [FALLBACK]) and later == [] and took < 30
    assert "was lost" in caplog.text or "could not be reached" in caplog.text
