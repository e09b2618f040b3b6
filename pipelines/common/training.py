"""The scaffold every training script here shares: options, seeding, batches, EMA, state, record.

A script declares one config dataclass, each field commented (the comment becomes its --help), and
takes its command line from it, so the dataclass is the one source of defaults. The pieces, in the
order a script uses them:

    config, args = parse_config(TrainConfig, argv, __doc__, extra)   # --field-name per field; extra(p) adds --out…
    seed_everything(config.seed, config.threads)      # torch's global RNG (initial weights, noise), thread count
    order = BatchOrder(len(data), config.batch_size, config.seed)    # order() -> batch indices, shuffled epochs
    schedule = lr_schedule(optimizer, "cosine", warmup=100, total=config.iterations)   # diffusers' get_scheduler
    ema = make_ema(model, config.ema, start=1)        # diffusers' EMAModel; ema.step(model.parameters()) each step
    log = LossLog(every=100)                          # log.add(step, seconds, {"loss": l}) -> a row every 100
    if due(step, config.save_every, config.iterations):   # periodically and at the last step
        save_state(path, recipe=recipe(config), model=model.state_dict(), ...)   # atomic torch.save
    saved = load_state(path, recipe(config))          # --resume: refuses a state made with other settings
    record = training_record(config, seconds, log.rows, dataset="…")   # how it was trained
    save_checkpoint(out, averaged_copy(model, ema), model.config, record)   # pipelines.common.checkpoint

For a trainer object with state_dict() / load_state_dict(), add_state_options(parser) gives --state
and --resume, and state_saver(trainer, args.state, recipe(config), args.resume) loads the state when
resuming and returns the function that saves it. A run stopped at N and resumed equals a run straight
through when everything random comes from RNGs kept in the state.

Used by pipelines.common.dcgan.training.GANTrainer (the Latent Lab's and the quiz's GAN scripts),
pipelines.text_to_image.train, the music GPT's and the mood tagger's scripts and pipelines.learn (BatchOrder,
parse_config).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import platform
import textwrap
from dataclasses import MISSING, asdict, fields
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import torch
from torch import nn

from pipelines.common.checkpoint import write_atomic

Config = TypeVar("Config")
# Options a resumed run may change: they do not alter the weights it makes.
FREE_OPTIONS = ("iterations", "threads", "save_every", "log_every")


# -- options ------------------------------------------------------------------------------------------
def field_comments(config_class: type) -> dict[str, str]:
    """{field: its comment} from the dataclass's source (and its bases'), the comment at the end of the
    field's line or else the comment lines just above it: the options' help."""
    comments: dict[str, str] = {}
    for cls in reversed(config_class.__mro__[:-1]):
        try:
            source = textwrap.dedent(inspect.getsource(cls))
        except (OSError, TypeError):
            continue
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                tail = lines[node.end_lineno - 1][node.end_col_offset:]
                above, row = [], node.lineno - 2
                while row >= 0 and lines[row].strip().startswith("#"):
                    above.insert(0, lines[row].strip().lstrip("#").strip())
                    row -= 1
                text = tail.split("#", 1)[1].strip() if "#" in tail else " ".join(above)
                if text:
                    comments[node.target.id] = text
    return comments


def add_config_arguments(parser: argparse.ArgumentParser, config_class: type) -> argparse.ArgumentParser:
    """One --option per field (underscores as dashes), its default and type the field's."""
    comments = field_comments(config_class)
    for f in fields(config_class):
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        option = "--" + f.name.replace("_", "-")
        helptext = f"{comments.get(f.name, '')} (default: {default})".strip().replace("%", "%%")  # argparse formats help
        if isinstance(default, bool):
            parser.add_argument(option, action=argparse.BooleanOptionalAction, default=default, help=helptext)
        else:
            parser.add_argument(option, type=str if default is None else type(default), default=default, help=helptext)
    return parser


def config_from_args(config_class: type[Config], args: argparse.Namespace) -> Config:
    return config_class(**{f.name: getattr(args, f.name) for f in fields(config_class)})


def parse_config(
    config_class: type[Config],
    argv: Optional[list[str]],
    description: Optional[str],
    extra: Optional[Callable[[argparse.ArgumentParser], Any]] = None,
) -> tuple[Config, argparse.Namespace]:
    """(config, all parsed options): the config's fields as options, plus those `extra(parser)` adds."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_arguments(parser, config_class)
    if extra:
        extra(parser)
    args = parser.parse_args(argv)
    try:
        return config_from_args(config_class, args), args
    except ValueError as exc:  # the config's own checks, said as a usage error
        parser.error(str(exc))


def recipe(config: Any, free: tuple[str, ...] = FREE_OPTIONS) -> dict[str, Any]:
    """The settings a resumed run must share with the run it continues (all but `free`)."""
    return {k: v for k, v in asdict(config).items() if k not in free}


# -- randomness and batches -----------------------------------------------------------------------------
def seed_everything(seed: int, threads: int) -> None:
    """Seed torch's global RNG (initial weights, noise drawn without a generator) and set the thread count:
    with the same seed, settings and thread count a run gives the same weights on CPU."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)


class BatchOrder:
    """Batch indices into `n` items, from a generator seeded with `seed`.

    Default: shuffled epochs (a new permutation when fewer than a batch are left; that tail is
    skipped). `replacement=True`: every batch drawn independently (for a set smaller than many batches).
    """

    def __init__(self, n: int, batch_size: int, seed: int, replacement: bool = False) -> None:
        self.n, self.batch_size, self.replacement = n, batch_size, replacement
        self.generator = torch.Generator().manual_seed(seed)
        self.remaining = torch.empty(0, dtype=torch.long)

    def __call__(self) -> torch.Tensor:
        if self.replacement:
            return torch.randint(self.n, (self.batch_size,), generator=self.generator)
        if len(self.remaining) < self.batch_size:
            self.remaining = torch.randperm(self.n, generator=self.generator)
        batch, self.remaining = self.remaining[: self.batch_size], self.remaining[self.batch_size:]
        return batch

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"generator": self.generator.get_state(), "remaining": self.remaining.clone()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.generator.set_state(state["generator"])
        self.remaining = state["remaining"].clone()


# -- optimisation ---------------------------------------------------------------------------------------
def lr_schedule(optimizer: torch.optim.Optimizer, name: str, warmup: int = 0, total: Optional[int] = None):
    """diffusers' `get_scheduler`: "constant", "constant_with_warmup", "linear", "cosine", … (call .step()
    after each optimiser step). For a cosine that ends at a floor, transformers'
    `get_cosine_with_min_lr_schedule_with_warmup` is the one."""
    from diffusers.optimization import get_scheduler

    return get_scheduler(name, optimizer, num_warmup_steps=warmup, num_training_steps=total)


def make_ema(model: nn.Module, decay: float, start: int = 1, warmup: bool = False, power: float = 3 / 4):
    """diffusers' `EMAModel` over `model`'s parameters; call `ema.step(model.parameters())` after each step.

    warmup=False: from iteration `start` on the average moves by (1 - decay) per step; before it, it
    copies the model. (EMAModel's own ramp (1 + n) / (10 + n) is held off by min_decay = decay, and it
    also copies at iteration update_after_step + 1, hence update_after_step = start - 2.)
    warmup=True: EMAModel's warm-up, decay 1 - (1 + n) ** -power up to `decay`, from the first step.
    """
    from diffusers.training_utils import EMAModel

    if warmup:
        return EMAModel(model.parameters(), decay=decay, use_ema_warmup=True, inv_gamma=1.0, power=power)
    return EMAModel(model.parameters(), decay=decay, min_decay=decay, update_after_step=start - 2)


def averaged_copy(model: nn.Module, ema) -> nn.Module:
    """A copy of `model` holding the EMA's weights (buffers: the model's)."""
    import copy

    averaged = copy.deepcopy(model)
    ema.copy_to(averaged.parameters())
    return averaged


class LossLog:
    """Averages named losses over `every` steps; one row a period, the record's "history":
    {"iteration": 100, "seconds": 12.3, "loss_d": 0.71, "loss_g": 2.07}."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.rows: list[dict[str, float]] = []
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, step: int, seconds: float, losses: dict[str, float], last: bool = False) -> Optional[dict]:
        """Add one step's losses; returns the new row when this step closes a period (or is the `last`)."""
        for name, value in losses.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
        self.count += 1
        if step % self.every and not last:
            return None
        row = {"iteration": step, "seconds": round(seconds, 1),
               **{name: round(total / self.count, 4) for name, total in self.sums.items()}}
        self.rows.append(row)
        self.sums, self.count = {}, 0
        return row

    def state_dict(self) -> dict[str, Any]:
        return {"rows": list(self.rows), "sums": dict(self.sums), "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rows, self.sums, self.count = list(state["rows"]), dict(state["sums"]), state["count"]


# -- state and record -----------------------------------------------------------------------------------
def due(step: int, every: int, last: int) -> bool:
    """Whether `step` is a periodic save: every `every` steps (0: never) and at the `last`."""
    return step == last or (every > 0 and step % every == 0)


def save_state(path: Path, **state: Any) -> None:
    """Everything a run needs to continue (weights, optimiser, EMA, RNGs, step…), saved atomically:
    a kill mid-save keeps the previous state."""
    write_atomic(Path(path), lambda tmp: torch.save(state, tmp))


def add_state_options(parser: argparse.ArgumentParser, default: str = "none saved") -> None:
    """--state PATH and --resume, for a script whose trainer has state_dict / load_state_dict."""
    parser.add_argument("--state", type=Path, default=None, help=f"training state file (default: {default})")
    parser.add_argument("--resume", action="store_true", help="continue from the state saved there")


def state_saver(trainer: Any, path: Optional[Path], recipe: dict[str, Any], resume: bool = False) -> Optional[Callable[[], None]]:
    """Continue `trainer` from the state at `path` when resuming; returns what saves its state there (None: no path)."""
    if resume:
        if path is None:
            raise SystemExit("--resume needs --state: the file the run to continue saved")
        trainer.load_state_dict(load_state(path, recipe))
    return (lambda: save_state(path, recipe=recipe, **trainer.state_dict())) if path else None


def load_state(path: Path, recipe: dict[str, Any]) -> dict[str, Any]:
    """The state saved at `path`; exits with a message if there is none or its recipe differs."""
    path = Path(path)
    if not path.exists():
        raise SystemExit(f"--resume: no training state at {path}")
    saved = torch.load(path, weights_only=False)
    changed = {k: (saved["recipe"].get(k), v) for k, v in recipe.items() if saved["recipe"].get(k) != v}
    if changed:
        raise SystemExit(f"--resume with other settings than the saved run (saved, given): {changed}")
    return saved


def training_record(config: Any, seconds: float, history: list, **facts: Any) -> dict[str, Any]:
    """How a model was trained: the given facts (dataset, iterations…), then the time, every option,
    the torch version, the machine, and the loss history (kept out of config.json)."""
    threads = getattr(config, "threads", torch.get_num_threads())
    return {**facts, "seconds": round(seconds, 1), "args": asdict(config), "torch": torch.__version__,
            "machine": f"{platform.machine()}, {threads} thread(s)", "history": history}
