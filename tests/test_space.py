"""The repo as a Hugging Face Space accepts it (#23): large files under LFS rules, a torch pin ZeroGPU builds with,
kept data on persistent storage when one is mounted."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pipelines.common import config

ROOT = Path(__file__).resolve().parents[1]
HUB_LIMIT = 10 * 1024 * 1024  # the Hub refuses a pushed file over this unless it is in LFS (or Xet)
ZEROGPU_TORCH = {"2.1.0", "2.1.1", "2.1.2", "2.2.0", "2.2.2", "2.4.0", "2.5.1", "2.6.0", "2.7.1", "2.8.0"}  # its docs' list


def test_every_tracked_file_over_10_mb_is_under_an_lfs_rule():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    large = [f for f in tracked if f and (ROOT / f).is_file() and (ROOT / f).stat().st_size > HUB_LIMIT]
    assert large, "the emoji model's weights are over 10 MB: this test should see them"
    attributes = subprocess.run(["git", "check-attr", "filter", "--", *large], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout
    assert attributes.count("filter: lfs") == len(large), attributes
    weights = subprocess.run(["git", "check-attr", "filter", "--", "x.safetensors", "x.npy", "x.gz", "x.pt"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert weights.count("filter: lfs") == 4  # every format the repo ships weights or data in, whatever its size


def test_the_space_installs_a_torch_zerogpu_accepts_and_the_laptop_keeps_its_cpu_wheel():
    pins = re.findall(r"^torch==(\S+)", (ROOT / "requirements.txt").read_text(), flags=re.M)
    assert len(pins) == 1 and pins[0] in ZEROGPU_TORCH
    makefile = (ROOT / "Makefile").read_text()
    assert "TORCH := torch==2.13.0" in makefile and "grep -v '^torch==' requirements.txt" in makefile


def test_kept_data_goes_to_persistent_storage_on_a_space(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "SPACE_STORAGE", tmp_path)
    monkeypatch.setattr(config.os.path, "ismount", lambda path: path == tmp_path)  # as the Space mounts it
    monkeypatch.delenv("GS_DATA_DIR", raising=False)
    monkeypatch.setenv("SPACE_ID", "someone/generative-studio")
    config.get_settings.cache_clear()
    try:
        assert config.get_settings().data_dir == tmp_path
        assert "kept across restarts" in config.data_dir_survival()
        monkeypatch.setattr(config, "SPACE_STORAGE", tmp_path / "not-mounted")
        config.get_settings.cache_clear()
        assert config.get_settings().data_dir == config.REPO_ROOT / "data"
        assert "lost at every restart" in config.data_dir_survival()
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()


def test_the_weights_in_this_checkout_are_real_files_not_lfs_pointers():
    """With git-lfs installed, a commit under these rules stores a pointer; a clone without git-lfs (CI, a laptop)
    would then load a 130-byte text file as a model. Weights go to main as ordinary blobs (README)."""
    tracked = subprocess.run(["git", "ls-files", "-z", "*.safetensors", "*.npy"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    pointers = [f for f in tracked if f and (ROOT / f).read_bytes()[:40].startswith(b"version https://git-lfs")]
    assert tracked and not pointers, pointers
