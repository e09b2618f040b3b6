"""Latent Lab: a click on a sample puts its seed where the page's radio says (a group, a seed box)."""

from __future__ import annotations

import gradio as gr

CLICK_TARGETS = ["A", "B", "C", "from", "to", "edit", "with", "without"]  # the radio's values, in the outputs' order
GROUPS = ("A", "B", "C", "with", "without")  # click targets that collect several seeds


def seeds_in(text) -> list[str]:
    """The seeds of a comma-separated group, as typed."""
    return [p.strip() for p in str(text or "").split(",") if p.strip()]


def add_seed(text, seed: int) -> str:
    """`seed` appended to a comma-separated group once (a second click does not add it again)."""
    seeds = seeds_in(text)
    return ", ".join(seeds if str(seed) in seeds else seeds + [str(seed)])


def pick_sample(shown_seeds, gallery, target, a, b, c, seed_a, seed_b, edit_seed, with_, without, evt: gr.SelectData):
    """A click on a sample: put its seed where the radio says, and caption each sample with its groups."""
    seed = shown_seeds[evt.index]
    values = dict(A=a, B=b, C=c, **{"from": seed_a, "to": seed_b, "edit": edit_seed, "with": with_, "without": without})
    values[target] = add_seed(values[target], seed) if target in GROUPS else seed
    captions = []
    for s in shown_seeds:
        groups = [g for g in ("A", "B", "C") if str(s) in seeds_in(values[g])]
        captions.append(f"{s}" + (f" · {'+'.join(groups)}" if groups else ""))
    images = [item[0] if isinstance(item, (list, tuple)) else item for item in (gallery or [])]
    return [values[k] for k in CLICK_TARGETS] + [list(zip(images, captions)) if len(images) == len(captions) else gr.skip()]
