"""The mood models as transformers' GPT2LMHeadModel: an exact conversion of model.py's weights, the token
grammar as a LogitsProcessor, and sampling with generate() and its KV cache.

Issue #10 asked whether the tab could run on this library model. bench/music_gpt2.py measured it: the same
seed gives the same tokens, but text → 30 s of audio took 1.35× as long (sampling a token costs about twice
model.py's: GPT2's forward 1.5×, and generate()'s loop around it), over the 1.2× allowed, so the tab keeps
model.py. This module stays for that benchmark and to export a checkpoint in transformers' own layout
(config.json + model.safetensors, loadable with AutoModelForCausalLM), e.g. to share it on a hub:

    python -m pipelines.text_to_music.gpt2 assets/music/models/happy /tmp/happy-gpt2
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Optional

import torch
from transformers import (AutoModelForCausalLM, GenerationConfig, GPT2Config, GPT2LMHeadModel, LogitsProcessor, LogitsProcessorList,
                          StoppingCriteria, StoppingCriteriaList, TemperatureLogitsWarper, TopKLogitsWarper)

from pipelines.common.checkpoint import RECORD_FILE
from pipelines.common.progress import ProgressFn, report
from pipelines.common.seeding import cpu_generator
from pipelines.text_to_music.grammar import Grammar, bar_written
from pipelines.text_to_music.model import GPTConfig, MusicGPT, load_model
from pipelines.text_to_music.tokens import BAR, BOS, EOS, PAD, VOCAB


def gpt2_config(config: GPTConfig, **extra) -> GPT2Config:
    """The same network in GPT2's terms. `extra` (vocabulary, mood…) is stored in its config.json."""
    return GPT2Config(
        vocab_size=config.vocab_size, n_positions=config.block_size, n_embd=config.n_embd, n_layer=config.n_layer, n_head=config.n_head,
        activation_function="gelu",  # model.py's nn.GELU() is the exact GELU; GPT2's default "gelu_new" is tanh's approximation
        resid_pdrop=config.dropout, embd_pdrop=config.dropout, attn_pdrop=config.dropout,
        layer_norm_epsilon=1e-5,  # nn.LayerNorm's default, with a bias, as model.py's
        tie_word_embeddings=True,  # lm_head is wte, as in model.py
        bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD, **extra,
    )


def gpt2_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """model.py's parameter names → GPT2LMHeadModel's. GPT2's Conv1D stores a Linear's weight transposed."""
    renamed = {}
    for name, tensor in state.items():
        new = "lm_head.weight" if name == "lm_head.weight" else "transformer." + name
        new = new.replace("blocks.", "h.").replace("mlp.0.", "mlp.c_fc.").replace("mlp.2.", "mlp.c_proj.")
        is_linear = name.endswith(".weight") and (".attn." in name or ".mlp." in name)
        renamed[new] = tensor.t() if is_linear else tensor
    return renamed


def to_gpt2(model: MusicGPT, **extra) -> GPT2LMHeadModel:
    gpt2 = GPT2LMHeadModel(gpt2_config(model.config, **extra))
    gpt2.load_state_dict(gpt2_state_dict(model.state_dict()))
    return gpt2.eval().requires_grad_(False)


def export(source: str | Path, folder: str | Path, half: bool = True) -> Path:
    """A model.py checkpoint folder → transformers' layout; the mood, vocabulary and license go into
    config.json, the training record is copied beside."""
    model, info = load_model(source)
    gpt2 = to_gpt2(model, vocabulary=list(VOCAB), mood=info.get("mood"), license=info.get("license"))
    gpt2.generation_config = GenerationConfig(bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD, do_sample=True, temperature=0.9,
                                              top_k=0)  # the tab's settings; the grammar needs `sample` below
    folder = Path(folder)
    (gpt2.half() if half else gpt2).save_pretrained(folder)
    if (Path(source) / RECORD_FILE).is_file():
        shutil.copy(Path(source) / RECORD_FILE, folder / RECORD_FILE)
    return folder


def load_gpt2(folder: str | Path) -> GPT2LMHeadModel:
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)  # float16 on a CPU is slow and rounds the logits
    if getattr(model.config, "vocabulary", None) != list(VOCAB):
        raise ValueError(f"{str(folder)!r} was trained with another token vocabulary than pipelines.text_to_music.tokens")
    return model.eval().requires_grad_(False)


class GrammarLogitsProcessor(LogitsProcessor):
    """Only the tokens `grammar` allows next keep their score. The grammar moves on with
    GrammarStoppingCriteria, which sees every token generate() appends."""

    def __init__(self, grammar: Grammar) -> None:
        self.grammar = grammar

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        return scores.masked_fill(~self.grammar.allowed(), float("-inf"))


class GrammarStoppingCriteria(StoppingCriteria):
    """Advances the grammar with each new token; stops at EOS, or at the BAR after the last bar wanted
    (`ended` then says so: that token is not part of the piece)."""

    def __init__(self, grammar: Grammar, min_bars: int, progress: Optional[ProgressFn] = None) -> None:
        self.grammar, self.min_bars, self.progress, self.ended = grammar, min_bars, progress, False

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        token = int(input_ids[0, -1])
        self.ended = token == EOS or (token == BAR and self.grammar.bars >= self.min_bars)
        if not self.ended:
            self.grammar.advance(token)
            if token == BAR:
                report(self.progress, self.grammar.bars / max(self.min_bars, 1), bar_written(self.grammar.bars, self.min_bars))
        return torch.tensor([self.ended])


class SeededDraw(LogitsProcessor):
    """Draws the next token with the request's own generator and leaves it the only candidate, so a greedy
    generate() takes it. generate(do_sample=True) would draw from torch's global RNG, which other requests
    (and "How models learn"'s training threads) share: the same seed would not give the same piece."""

    def __init__(self, generator: torch.Generator) -> None:
        self.generator = generator

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        token = torch.multinomial(torch.softmax(scores, -1), 1, generator=self.generator)
        return torch.full_like(scores, float("-inf")).scatter_(1, token, 0.0)


@torch.inference_mode()
def sample(
    model: GPT2LMHeadModel, prompt: list[int], min_bars: int, max_tokens: int, temperature: float = 1.0, top_k: int = 0,
    seed: int = 0, use_cache: bool = True, progress: Optional[ProgressFn] = None,
) -> list[int]:
    """generate.sample's contract on a GPT2LMHeadModel: the same tokens from the same seed and settings."""
    grammar = Grammar(min_bars)
    for token in prompt:
        grammar.advance(token)
    stop = GrammarStoppingCriteria(grammar, min_bars, progress)
    warpers = [TemperatureLogitsWarper(max(temperature, 1e-3))] + ([TopKLogitsWarper(int(top_k))] if top_k else [])
    processors = LogitsProcessorList([GrammarLogitsProcessor(grammar), *warpers, SeededDraw(cpu_generator(seed))])
    window, tokens = model.config.n_positions, list(prompt)
    while len(tokens) < max_tokens and not stop.ended:
        # positions stop at n_positions: as generate.sample, go on from the last half window
        context = tokens[-(window // 2) :] if len(tokens) > window - 1 else tokens
        settings = GenerationConfig(do_sample=False, use_cache=use_cache, max_new_tokens=min(window + 1 - len(context), max_tokens - len(tokens)),
                                    bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD)
        ids = torch.tensor([context])
        out = model.generate(ids, attention_mask=torch.ones_like(ids), generation_config=settings, logits_processor=processors,
                             stopping_criteria=StoppingCriteriaList([stop]))
        tokens += out[0, len(context) :].tolist()
    return (tokens[:-1] if stop.ended else tokens) + [EOS]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="a checkpoint folder of model.py (e.g. assets/music/models/happy)")
    p.add_argument("folder", help="where to write transformers' layout")
    p.add_argument("--float32", action="store_true", help="keep float32 (default: float16, as the shipped models)")
    args = p.parse_args(argv)
    folder = export(args.source, args.folder, half=not args.float32)
    print(json.dumps({"folder": str(folder), "files": sorted(f.name for f in folder.iterdir())}))


if __name__ == "__main__":
    main()
