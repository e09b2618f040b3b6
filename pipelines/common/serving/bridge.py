"""The child process that holds the app's Ray connection (see client.py for why it is a child).

    python -m pipelines.common.serving.bridge ADDRESS READ_FD WRITE_FD      # started by client.Bridge

It joins the cluster, deploys the models there unless they already run (deployments.py), says "ready", then
forwards each ("call", id, deployment, payload) to that deployment's handle and writes back ("ok", id, result),
("user", id, key, message, ko, params) for the model's own sentence, or ("error", id, what). It exits when the app
closes its pipe, or as soon as Ray says its node is gone (the app then works on alone).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

from pipelines.common.validation import UserInputError

NAMESPACE = "generative-studio"


def connect(address: str) -> dict:
    """Deployment handles by name, after joining the cluster at `address` and deploying what is missing."""
    import ray

    if address != "auto":  # ray.init waits minutes for an address where nothing listens (measured: 13)
        host, _, port = address.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=10).close()
        except (OSError, ValueError):
            raise ConnectionError(f"nothing answers at {address}") from None
    ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, logging_level=logging.WARNING)
    from pipelines.common.serving.deployments import deploy

    handles = deploy()
    threading.Thread(target=watch, args=(ray.get_runtime_context().gcs_address,), daemon=True).start()
    return handles


def watch(gcs_address: str, every: float = 2.0, misses: int = 3) -> None:
    """Exit when the cluster's head stops taking connections: Ray itself notices only after 60 s, and meanwhile
    every request waits."""
    host, _, port = gcs_address.rpartition(":")
    missed = 0
    while missed < misses:
        time.sleep(every)
        try:
            socket.create_connection((host, int(port)), timeout=every).close()
            missed = 0
        except OSError:
            missed += 1
    os._exit(1)


def main(address: str, read_fd: int, write_fd: int) -> int:
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    lock = threading.Lock()

    def send(*message) -> None:
        with lock:
            outbox.send(message)

    try:
        handles = connect(address)
    except ImportError:
        send("failed", "Ray is not installed here: pip install -r requirements-ray.txt")
        return 1
    except Exception as exc:  # noqa: BLE001 — any failure to connect is told to the app, in a line
        send("failed", f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
        return 1
    send("ready")
    responses, pool = {}, ThreadPoolExecutor(max_workers=128, thread_name_prefix="answer")

    def answer(call_id: int) -> None:
        try:
            send("ok", call_id, responses[call_id].result())
        except Exception as exc:  # noqa: BLE001 — told to the app, which does the request itself
            tell(send, call_id, exc)
        finally:
            responses.pop(call_id, None)

    while True:
        try:
            kind, *rest = inbox.recv()
        except (EOFError, OSError):  # the app has gone
            break
        if kind == "call":
            call_id, deployment, payload = rest
            responses[call_id] = handles[deployment].remote(payload)
            pool.submit(answer, call_id)
        elif kind == "cancel" and (response := responses.get(rest[0])) is not None:
            response.cancel()
    os._exit(0)  # not ray.shutdown(): with the cluster gone it can wait for minutes


def tell(send, call_id: int, exc: Exception) -> None:
    """Send a failed request's outcome: the model's own sentence, or what went wrong; exit when the node is gone."""
    import ray.exceptions

    cause = getattr(exc, "cause", None)
    if isinstance(cause, UserInputError):
        send("user", call_id, cause.key, str(cause), cause.ko, cause.params)
        return
    send("error", call_id, f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    if isinstance(exc, (ray.exceptions.LocalRayletDiedError, ray.exceptions.RaySystemError)):
        os._exit(1)  # this node has left the cluster: let the app know now, not when Ray gives up (60 s)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
