"""Checkpoint folders: one way to save and load every model trained here.

A checkpoint is a folder:

- `<weights>` (safetensors): the model's state dict, float16 where `half=True`, without the
  entries under the `skip` prefixes (parts only training needs, such as a GAN's critic);
- `config.json`: the config dataclass under `config_key` ("model" everywhere but "How models
  learn", whose shipped files say "config"), whatever `info` the caller adds (name, licence…), and
  under "training" the training record without its "history";
- `training_record.json`: the whole record (the history too), when there is one.

    save_checkpoint(folder, model, config, record, info={"name": ...}, half=True) -> Path
    model, config, info = load_checkpoint(folder, Generator, DCGANConfig)   # info: config.json
    info, record = read_info(folder), read_record(folder)
    write_record(folder, record, section="unet")    # a record beside weights saved another way

Every file is written to a temporary name and renamed, so a killed run leaves the previous file.
Older layouts still load: a config.json whose fields sit at the top level instead of under
`config_key` (the mood tagger's), and weights saved in float16 (always loaded as float32).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, TypeVar

from torch import nn

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
RECORD_FILE = "training_record.json"
HISTORY = "history"  # the record's bulky part, kept out of config.json

Config = TypeVar("Config")


class Checkpoint(NamedTuple):
    model: nn.Module  # in eval mode, float32, gradients off
    config: Any  # the config dataclass it was built from
    info: dict[str, Any]  # the whole config.json


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """`write(tmp)` then rename tmp → path: readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n"))


def config_to_dict(config: Any) -> dict[str, Any]:
    return asdict(config) if is_dataclass(config) else dict(config)


def config_from_dict(config_class: type[Config], values: Mapping[str, Any]) -> Config:
    """The dataclass from a dict, ignoring unknown keys (JSON lists back to tuples where the field is one)."""
    known = {f.name: f for f in fields(config_class)}
    kwargs = {k: tuple(v) if isinstance(v, list) and isinstance(known[k].default, tuple) else v
              for k, v in values.items() if k in known}
    return config_class(**kwargs)


def save_checkpoint(
    folder: str | Path,
    model: nn.Module,
    config: Any,
    record: dict[str, Any] | None = None,
    *,
    info: dict[str, Any] | None = None,
    half: bool = False,
    weights: str = WEIGHTS_FILE,
    config_key: str = "model",
    skip: tuple[str, ...] = (),
) -> Path:
    """Write the weights, config.json and (with a record) training_record.json; returns the folder."""
    from safetensors.torch import save_file

    folder = Path(folder)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if not k.startswith(skip)}
    if half:  # halves the file; each model's docs say what it costs in output
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    write_atomic(folder / weights, lambda tmp: save_file(state, str(tmp)))
    meta = {config_key: config_to_dict(config), **(info or {})}
    if record is not None:
        meta["training"] = {k: v for k, v in record.items() if k != HISTORY}
    write_json(folder / CONFIG_FILE, meta)
    if record is not None:
        write_record(folder, record)
    return folder


def write_record(folder: str | Path, record: dict[str, Any], section: str | None = None) -> None:
    """training_record.json in `folder`: the record, or with `section` the record of one part trained
    on its own (the emoji LDM's "vae" and "unet"), kept beside the other parts' records."""
    path = Path(folder) / RECORD_FILE
    if section is not None:
        record = {**(json.loads(path.read_text()) if path.exists() else {}), section: record}
    write_json(path, record)


def read_info(folder: str | Path) -> dict[str, Any]:
    """config.json of a checkpoint folder."""
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {CONFIG_FILE} in {str(folder)!r}")
    return json.loads(path.read_text())


def read_record(folder: str | Path) -> dict[str, Any]:
    """The whole training record: training_record.json, else config.json's "training" (older folders)."""
    path = Path(folder) / RECORD_FILE
    return json.loads(path.read_text()) if path.is_file() else read_info(folder).get("training", {})


def load_checkpoint(
    folder: str | Path,
    build: Callable[[Config], nn.Module],
    config_class: type[Config],
    *,
    weights: str = WEIGHTS_FILE,
    config_key: str = "model",
    skip: tuple[str, ...] = (),
    what: str = "checkpoint",
) -> Checkpoint:
    """Rebuild `build(config)` from a folder; `what` names it in the error when files are missing."""
    from safetensors.torch import load_file

    folder = Path(folder)
    if not (folder / CONFIG_FILE).is_file() or not (folder / weights).is_file():
        raise FileNotFoundError(f"{str(folder)!r} holds no {what} ({weights} + {CONFIG_FILE})")
    info = read_info(folder)
    config = config_from_dict(config_class, info.get(config_key, info))  # top-level fields: older layout
    model = build(config)
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(folder / weights)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith(skip) for k in missing):
        raise ValueError(f"checkpoint {str(folder)!r} does not fit {type(model).__name__}: "
                         f"missing {missing[:3]}, unexpected {unexpected[:3]}")
    return Checkpoint(model.eval().requires_grad_(False), config, info)
