"""The app's side of a Ray cluster: a child process holding the connection (bridge.py), requests sent through it,
and this process doing the work itself whenever the cluster does not answer.

    result, notices = remote_or_local("emoji", request, lambda: backend.draw_here(request), progress)

- No `GS_RAY_ADDRESS`: `local()` runs, nothing else happens (ray is never imported).
- Set, not connected yet (the bridge joins the cluster and deploys the models in the background, minutes the
  first time): `local()` runs, so the app serves from its first second.
- Connected: the request goes to the deployment; a request the cluster fails (a replica killed under it, no answer
  within CALL_TIMEOUT) is done by `local()` and the user is told so in a notice.
- Unreachable at start-up, or lost while running (the bridge exits): one plain sentence in the log, the work stays
  in this process, and the cluster is tried again after RETRY_AFTER seconds.
"""

from __future__ import annotations

import concurrent.futures
import functools
import itertools
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from pipelines.common.config import REPO_ROOT, get_settings
from pipelines.common.progress import ProgressFn
from pipelines.common.validation import Notice, UserInputError

log = logging.getLogger("generative_studio")
T = TypeVar("T")
CONNECT_TIMEOUT = 300.0  # seconds to join the cluster and, the first time, deploy the models (replicas load them)
CALL_TIMEOUT = 120.0  # seconds: a request the cluster has not answered by then is done here instead
RETRY_AFTER = 60.0  # seconds between attempts to reach a cluster that could not be reached or was lost
POLL = 0.25  # seconds between a waiting request's checks that its client is still there
FALLBACK = Notice("serving.fallback", "The model cluster did not answer in time, so this was made on the web "
                  "server itself.", "모델 클러스터가 제때 응답하지 않아 웹 서버에서 직접 만들었습니다.")
ON_CLUSTER = Notice("progress.cluster", "working on the model cluster", "모델 클러스터에서 만드는 중")


class Unavailable(Exception):
    """The cluster did not do this request: do it here."""


class NotConnected(Unavailable):
    """Not connected (yet, or any more): nothing was sent."""


class Bridge:
    """The child process that holds the Ray connection, and the requests in flight through it."""

    def __init__(self, address: str, connect_timeout: float, on_lost: Callable[["Bridge", str], None]) -> None:
        self.address, self.on_lost, self.connected = address, on_lost, False
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()  # (read end, write end) each
        # Ray's own output (connection attempts, warnings) goes to a file of its own, not into the app's log.
        logfile = open(Path(tempfile.gettempdir()) / f"generative-studio-ray-bridge-{os.getpid()}.log", "ab")
        env = {k: v for k, v in os.environ.items() if k != "GS_RAY_ADDRESS"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.common.serving.bridge", address, str(to_child), str(from_child)],
            cwd=REPO_ROOT, pass_fds=(to_child, from_child), stdin=subprocess.DEVNULL, stdout=logfile,
            stderr=subprocess.STDOUT, env=env, start_new_session=True)  # the app's Ctrl-C is the app's alone
        logfile.close()
        os.close(to_child), os.close(from_child)
        self._out, self._in = Connection(from_parent, readable=False), Connection(to_parent, writable=False)
        self._pending: dict[int, concurrent.futures.Future] = {}
        self._ids, self._send_lock, self._ended = itertools.count(), threading.Lock(), False
        threading.Thread(target=self._read, name="ray-bridge-reader", daemon=True).start()
        timer = threading.Timer(connect_timeout, self._too_slow, args=(connect_timeout,))
        timer.daemon = True
        timer.start()

    def send(self, deployment: str, payload: Any) -> tuple[int, concurrent.futures.Future]:
        call_id, future = next(self._ids), concurrent.futures.Future()
        self._pending[call_id] = future
        try:
            with self._send_lock:
                self._out.send(("call", call_id, deployment, payload))
        except OSError:
            self._pending.pop(call_id, None)
            raise NotConnected("the bridge to the cluster has gone") from None
        return call_id, future

    def cancel(self, call_id: int) -> None:
        self._pending.pop(call_id, None)
        try:
            with self._send_lock:
                self._out.send(("cancel", call_id))
        except OSError:
            pass

    def stop(self) -> None:
        """End the child (it also ends by itself when this process closes its pipe)."""
        if self.process.poll() is None:
            self.process.terminate()

    def _read(self) -> None:
        try:
            while True:
                kind, *rest = self._in.recv()
                if kind == "ready":
                    self.connected = True
                    log.info("Connected to the Ray cluster at %s: the emoji model and the music models run there, as "
                             "Ray Serve deployments.", self.address)
                elif kind == "failed":
                    self._end(f"could not be reached ({rest[0]})")
                    return
                else:
                    self._answer(kind, *rest)
        except (EOFError, OSError):
            self._end("was lost (the head stopped answering)" if self.connected else "could not be reached")

    def _answer(self, kind: str, call_id: int, *value: Any) -> None:
        future = self._pending.pop(call_id, None)
        if future is None:  # cancelled, or given up on
            return
        if kind == "ok":
            future.set_result(value[0])
        elif kind == "user":  # the model's own sentence (e.g. its weights are not on that machine)
            key, message, ko, params = value
            future.set_exception(UserInputError(key, message, ko, **params))
        else:
            log.warning("The Ray cluster failed a request (%s); it is done in this process instead.", value[0])
            future.set_exception(Unavailable(value[0]))

    def _too_slow(self, seconds: float) -> None:
        if not self.connected and not self._ended:
            self._end(f"could not be reached within {seconds:.0f} s")

    def _end(self, why: str) -> None:
        if self._ended:
            return
        self._ended = True
        self.stop()
        for future in list(self._pending.values()):
            future.set_exception(Unavailable(why))
        self._pending.clear()
        self.on_lost(self, why)


class Cluster:
    """A Ray cluster the app may use: connects on first need, in the background, and again after losing it."""

    def __init__(self, address: str, connect_timeout: float = CONNECT_TIMEOUT, call_timeout: float = CALL_TIMEOUT,
                 retry_after: float = RETRY_AFTER) -> None:
        self.address, self.connect_timeout, self.call_timeout, self.retry_after = (address, connect_timeout,
                                                                                   call_timeout, retry_after)
        self._lock, self._bridge, self._next_try = threading.Lock(), None, 0.0
        self.served = 0  # requests the cluster answered
        self.fell_back = 0  # requests sent there and done here instead

    def bridge(self) -> Optional[Bridge]:
        """The connected bridge, or None; starts connecting when nothing is under way and it is time to try."""
        with self._lock:
            current = self._bridge
            if current is not None and current.process.poll() is None and not current._ended:
                return current if current.connected else None
            if time.monotonic() >= self._next_try:
                self._next_try = time.monotonic() + self.retry_after
                self._bridge = Bridge(self.address, self.connect_timeout, self._lost)
            return None

    def wait_connected(self, timeout: float) -> bool:
        """Whether the cluster is (or becomes, within `timeout` seconds) ready: for tests and benchmarks."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.bridge() is not None:
                return True
            time.sleep(0.2)
        return False

    def call(self, deployment: str, payload: Any, progress: Optional[ProgressFn] = None) -> Any:
        """The deployment's answer; Unavailable where it gave none (NotConnected: nothing was sent)."""
        bridge = self.bridge()
        if bridge is None:
            raise NotConnected("not connected")
        call_id, future = bridge.send(deployment, payload)
        deadline = time.monotonic() + self.call_timeout
        while True:
            try:
                result = future.result(timeout=POLL)
                self.served += 1
                return result
            except concurrent.futures.TimeoutError:
                if time.monotonic() > deadline:
                    bridge.cancel(call_id)
                    bridge._end(f"did not answer a request within {self.call_timeout:.0f} s")
                    self.fell_back += 1
                    raise Unavailable("no answer in time") from None
                self._still_wanted(bridge, call_id, progress)
            except Unavailable:
                self.fell_back += 1
                raise

    @staticmethod
    def _still_wanted(bridge: Bridge, call_id: int, progress: Optional[ProgressFn]) -> None:
        """Report that the request is on the cluster; a progress callback that raises (its client went away)
        cancels it there too."""
        if progress is None:
            return
        try:
            progress(0.5, ON_CLUSTER)
        except BaseException:
            bridge.cancel(call_id)
            raise

    def _lost(self, bridge: Bridge, why: str) -> None:
        with self._lock:
            if self._bridge is bridge:
                self._bridge = None
                self._next_try = time.monotonic() + self.retry_after
        log.warning("The Ray cluster at %s (GS_RAY_ADDRESS) %s: the models run in this process, and the cluster is "
                    "tried again in %.0f s.", self.address, why, self.retry_after)

    def close(self) -> None:
        with self._lock:
            bridge, self._bridge, self._next_try = self._bridge, None, float("inf")
        if bridge is not None:
            bridge._ended = True
            bridge.stop()


@functools.lru_cache(maxsize=1)
def get_cluster() -> Optional[Cluster]:
    """The cluster named by GS_RAY_ADDRESS, or None."""
    address = get_settings().ray_address
    return Cluster(address) if address else None


def remote_or_local(deployment: str, payload: Any, local: Callable[[], T], progress: Optional[ProgressFn] = None,
                    cluster: Optional[Cluster] = None) -> tuple[T, list[Notice]]:
    """(the result, notices for the user): from the cluster's `deployment` where one is connected, else `local()`."""
    cluster = cluster or get_cluster()
    if cluster is None:
        return local(), []
    try:
        return cluster.call(deployment, payload, progress), []
    except NotConnected:
        return local(), []
    except Unavailable:
        return local(), [FALLBACK]
