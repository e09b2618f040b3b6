"""Work that holds the GIL runs in worker processes (pipelines/common/processes.py): a piece is played there (#22).

The same piece, byte for byte, whichever process plays it; a worker killed mid-call costs nothing but time (the
call is done here, the next starts a new pool); the workers exit with the app, even killed; where no process can be
started, everything runs here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import soundfile

from pipelines.common.processes import WorkerProcesses
from pipelines.text_to_music.perform import Performance, perform
from pipelines.text_to_music.tokens import Note, Piece


ROOT = Path(__file__).resolve().parents[1]


def melody_piece() -> tuple[Piece, list]:
    notes = [Note(start=4 * i, duration=4, pitch=pitch) for i, pitch in enumerate((60, 62, 64, 65, 67, 65, 64, 62))]
    piece = Piece(time_signature="4/4", bars=[0, 16], notes=notes)
    return piece, [(n.start / 4, n.duration / 4, n.pitch) for n in notes]


def slow_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


@pytest.fixture
def workers():
    pool = WorkerProcesses(processes=2)
    yield pool
    pool.close()


def test_a_piece_played_in_a_worker_is_the_piece_played_here(workers, tmp_path):
    piece, melody = melody_piece()
    how = Performance("happy", 112, seed=5)
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    here = perform(piece, melody, how, tmp_path / "here")
    there = workers.run(perform, piece, melody, how, tmp_path / "there")
    assert there.midi_path.parent == tmp_path / "there" and there.audio_path.is_file()
    assert there.midi_path.read_bytes() == here.midi_path.read_bytes()
    sound = [soundfile.read(str(p.audio_path))[0] for p in (here, there)]  # (an Ogg stream's serial is random)
    assert sound[0].shape == sound[1].shape and (sound[0] == sound[1]).all()
    assert there.roll.tobytes() == here.roll.tobytes() and there.parts == here.parts
    assert set(there.timings) == {"harmony", "render"}


def test_nothing_to_play_is_an_empty_result_not_an_error(workers, tmp_path):
    piece, melody = melody_piece()
    played = workers.run(perform, piece, melody, Performance("calm", 70, seed=1, parts=("drums",)), tmp_path)
    assert played.parts == [] and played.audio_path is None  # the pipeline turns it into a sentence


def test_a_worker_killed_mid_call_costs_only_time(workers):
    first = workers.run(slow_pid, 0)
    assert first != os.getpid()  # a worker answered
    pids = workers._executor()._processes  # noqa: SLF001 — the pool's own record of its workers
    killer = threading.Timer(0.5, lambda: [os.kill(pid, signal.SIGKILL) for pid in list(pids)])
    killer.start()
    assert workers.run(slow_pid, 3) == os.getpid()  # its worker was killed: done here instead
    assert workers.run(slow_pid, 0) not in (os.getpid(), first)  # then a new pool


def test_the_workers_exit_when_the_app_is_killed():
    script = ("import os, time\nfrom pipelines.common.processes import WorkerProcesses\nfrom tests.test_processes import slow_pid\n"
              "pool = WorkerProcesses(processes=2)\nprint(pool.run(slow_pid, 0), flush=True)\ntime.sleep(600)\n")
    app = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    worker = int(app.stdout.readline())
    os.kill(app.pid, signal.SIGKILL)  # no atexit, no pool shutdown
    app.wait()
    deadline = time.monotonic() + 15
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(worker)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_where_no_process_can_start_the_work_is_done_here(monkeypatch):
    import multiprocessing

    def refuse(*_):
        raise ValueError("cannot find context for 'forkserver'")

    monkeypatch.setattr(multiprocessing, "get_context", refuse)
    pool = WorkerProcesses(processes=1)
    assert pool.run(slow_pid, 0) == os.getpid()
