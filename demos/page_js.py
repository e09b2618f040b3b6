"""The page's JavaScript: numbers past a slider's ends, and results brought into view.

Past a slider's end, the whole app behaves one way: the number is taken as the nearest end,
and a note under the slider says so in the page's language. Gradio already puts a typed
number back within the slider's bounds when its box loses focus, but silently (the Text →
Image tab), while an event fired as the user types (the Latent Lab's directions) sends the
raw number, which Gradio refuses with an English toast; `clamped` keeps those events within
the bounds the page shows then, and `SLIDER_NOTES` (run once as the page loads, app.py) writes the note.

A result or a message can appear below the fold (a phone stacks the columns; a status line sits
at the window's bottom edge): `reveal` scrolls it into view once an action has finished.
"""

from __future__ import annotations

import json
from typing import Sequence

import gradio as gr

# The note under a slider whose box holds a number past an end; the language is the browser's first of English
# and Korean, as demos.i18n picks it from the Accept-Language header the browser sends.
SLIDER_NOTES = """() => {
  const korean = () => {
    for (const tag of navigator.languages || [navigator.language || "en"]) {
      const lang = tag.toLowerCase().split("-")[0];
      if (lang === "ko" || lang === "en") return lang === "ko";
    }
    return false;
  };
  // 을 after a number read with a final consonant (일, 삼, 십, 백, …), 를 after a vowel (이, 사, 오, 구).
  const object = (n) => {
    const [whole, fraction] = String(n).replace("-", "").split(".");
    const last = fraction ? fraction.slice(-1) : whole.slice(-1);
    return !fraction && /[1-9]0+$/.test(whole) ? "을" : "2459".includes(last) ? "를" : "을";
  };
  const say = (label, low, high, typed, used) => korean()
    ? `${label}의 범위는 ${low}부터 ${high}까지입니다. 입력한 ${typed} 대신 ${used}${object(used)} 씁니다.`
    : `${label}: ${low} to ${high}, so ${typed} is taken as ${used}.`;
  const check = (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement)) return;
    const block = box.closest(".block");
    const range = block && block.querySelector("input[type=range]");
    if (!range) return;  // not a slider
    let note = block.querySelector(":scope > .range-note");
    const typed = box.type === "number" ? Number(box.value) : NaN;
    const low = Number(box.min), high = Number(box.max);
    if (box.value === "" || !Number.isFinite(typed) || (typed >= low && typed <= high)) {
      if (note && event.type === "input") note.remove();  // an allowed number, or the slider moved
      return;
    }
    if (!note) {
      note = document.createElement("div");
      note.className = "range-note";
      note.setAttribute("role", "status");
      block.appendChild(note);
    }
    const label = (box.getAttribute("aria-label") || "").replace(/^number input for /, "");
    note.textContent = say(label, box.min, box.max, box.value, typed > high ? box.max : box.min);
  };
  document.addEventListener("input", check, true);
  document.addEventListener("blur", check, true);  // captured before Gradio puts the number back in bounds
  document.addEventListener("click", (event) => {  // the slider's reset button puts its default back
    const reset = event.target instanceof Element && event.target.closest(".reset-button");
    reset?.closest(".block")?.querySelector(":scope > .range-note")?.remove();
  }, true);
}"""


def clamped(inputs: Sequence[gr.components.Component]) -> str:
    """An event's `js=`: its sliders' values brought within their bounds before they are sent (an event fired
    while the user types gets the raw number, which Gradio would refuse with a toast in English). A slider with an
    elem_id is read on the page as the event fires, since an event may have moved its ends since the page was built
    (Learn's frame slider grows to the frames of each denoising); others keep the bounds they were built with."""
    bounds = [[c.minimum, c.maximum, c.elem_id] if isinstance(c, gr.Slider) else None for c in inputs]
    return f"""(...values) => {json.dumps(bounds)}.map((b, i) => {{
      if (!b || typeof values[i] !== "number") return values[i];
      const range = b[2] && document.getElementById(b[2])?.querySelector("input[type=range]");
      const live = [Number(range?.min), Number(range?.max)];
      const [low, high] = range && live.every(Number.isFinite) ? live : b;
      return Math.min(Math.max(values[i], low), high);
    }})"""


def reveal(result: str, status: str = "") -> str:
    """A js-only event's code, run once an action has finished: its status line (`status`, a selector) if that
    says something, else its result (`result`), scrolled to the middle of the window unless it is all in view."""
    return f"""() => setTimeout(() => {{
      const said = {json.dumps(status)} ? document.querySelector({json.dumps(status)}) : null;
      const target = said && said.innerText.trim() ? said : document.querySelector({json.dumps(result)});
      if (!target || !target.offsetParent) return;
      const box = target.getBoundingClientRect();
      if (box.top >= 0 && box.bottom <= window.innerHeight) return;
      target.scrollIntoView({{block: box.height > window.innerHeight ? "start" : "center", behavior: "smooth"}});
    }}, 150)"""


def revealing(event, result: str, status: str = ""):
    """`event`, then `reveal(result, status)` in the browser (no trip to the server)."""
    return event.then(None, js=reveal(result, status), api_visibility="private", show_progress="hidden")
