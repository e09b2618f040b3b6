"""Text → Music tab: words (English or Korean) → a mood → its GPT's melody → an arrangement; or the user's melody harmonized."""

from __future__ import annotations

from dataclasses import asdict
from typing import Optional

import gradio as gr
from gradio.data_classes import FileData

from demos import history
from demos.api import batched, file_in, file_out, image_out, publish
from demos.controls import seed_box
from demos.errors import status_line, user_errors
from demos.i18n import language, progress_in, strings
from demos.limits import watched
from demos.page_js import revealing
from pipelines.common.seeding import random_seed
from pipelines.common.validation import parse_int
from pipelines.text_to_music.arrange import COLOURS, PARTS, PartName
from pipelines.text_to_music.generate import MAX_SECONDS
from pipelines.text_to_music.moods import KOREAN, MOODS, SIGNATURES
from pipelines.text_to_music.musicgen import musicgen_present
from pipelines.text_to_music.pipeline import (MAX_TEMPO, HarmonizeRequest, ModelChoice, MoodChoice, MusicCompareRequest,
                                              MusicRequest, get_pipeline)

t, MESSAGES = strings("text_to_music")  # demos/strings/text_to_music.toml
PROGRAMS = (0, 4, 10, 11, 19, 24, 32, 33, 40, 42, 43, 46, 48, 49, 52, 56, 58, 60, 61, 73, 75, 89)  # named in the TOML
MOOD_CHOICES = [(t("music.auto"), "auto")] + [(f"{m} · {KOREAN[m]}", m) for m in MOODS]
INSTRUMENTS = [(t("music.own_instrument"), -1)] + [(t(f"instrument.{program}"), program) for program in PROGRAMS]
PART_CHOICES = [(t(f"part.{part}"), part) for part in PARTS]
EXAMPLES = [
    ["sunny picnic with friends, everyone dancing", "auto"],
    ["a rainy goodbye at the train station", "auto"],
    ["the hero raises the flag on the summit", "auto"],
    ["something is following me in the dark forest", "auto"],
    ["비 오는 날 창가에서 마시는 따뜻한 차", "auto"],
    ["드디어 우승했다! 모두가 환호한다", "auto"],
]
MELODY_EXAMPLES = [  # Ode to Joy, Twinkle Twinkle, Arirang (3/4 heard as quarter-note lines)
    ["E4 E4 F4 G4 G4 F4 E4 D4 C4 C4 D4 E4 E4/1.5 D4/0.5 D4/2 E4 E4 F4 G4 G4 F4 E4 D4 C4 C4 D4 E4 D4/1.5 C4/0.5 C4/2", "auto"],
    ["C4 C4 G4 G4 A4 A4 G4/2 F4 F4 E4 E4 D4 D4 C4/2", "calm"],
    ["G4/1.5 A4/0.5 G4 C5/1.5 D5/0.5 C5 E5 D5 C5 A4 G4/2", "sad"],
]


# -- one shared function per action, said in the request's language -----------------------------------
def mood_name(mood: str, lang: str) -> str:
    return KOREAN[mood] if lang == "ko" else mood


def scores(probabilities: Optional[dict[str, float]]) -> Optional[dict]:
    """The tagger's scores under each mood's two names, for a gr.Label."""
    return None if probabilities is None else {f"{m} · {KOREAN[m]}": p for m, p in probabilities.items()}


def mood_label(result, lang: str = "en") -> dict:
    return scores(result.probabilities) or {MESSAGES("chosen", lang, mood=f"{result.mood} · {KOREAN[result.mood]}"): 1.0}


def instrument_name(program: int, lang: str) -> str:
    if program < 0:  # MusicGen's audio: no instrument of its own
        return MESSAGES("musicgen", lang)
    return MESSAGES(f"instrument.{program}", lang) if program in PROGRAMS else MESSAGES("program", lang, program=program)


def model_choices() -> list[tuple]:
    """The picker: the studio's models, and MusicGen, said to be missing where its weights are not on this machine."""
    return [(t("music.model_studio"), "studio"),
            (t("music.model_musicgen" if musicgen_present() else "music.model_musicgen_missing"), "musicgen")]


def describe(result, lang: str = "en") -> str:
    timing = " · ".join(MESSAGES("timing", lang, stage=MESSAGES(f"stage.{stage}", lang), seconds=seconds)
                        for stage, seconds in result.timings.items())
    return MESSAGES("summary", lang, mood=mood_name(result.mood, lang), tempo=result.tempo, seed=result.seed,
                    instrument=instrument_name(result.program, lang), notes=len(result.piece.notes), timing=timing)


def legend(result, lang: str = "en") -> str:
    """Each part's colour in the piano roll, its name and its instrument."""
    if not result.parts:
        return MESSAGES("audio_only", lang)
    named = [MESSAGES(f"part.{part.name}", lang) if part.is_drum else MESSAGES(
        "legend_part", lang, part=MESSAGES(f"part.{part.name}", lang), instrument=instrument_name(part.program, lang))
        for part in result.parts]
    return " ".join(f'<span style="color:rgb{COLOURS[part.name]}">■</span> {name}' for part, name in zip(result.parts, named))


def music_result(result, lang: str) -> dict:
    """A piece as the API returns it (the /text_to_music, /harmonize and /compare_music results)."""
    return {"mood": result.mood, "scores": result.probabilities, "audio": file_out(result.audio_path),
            "midi": file_out(result.midi_path), "piano_roll": image_out(result.piano_roll, "piano_roll"),
            "seed": result.seed, "tempo": result.tempo, "instrument": result.program, "notes": len(result.piece.notes),
            "parts": [{"part": p.name, "instrument": p.program, "notes": len(p.notes)} for p in result.parts],
            "summary": describe(result, lang)}


def on_page(result, lang: str) -> tuple:
    return (mood_label(result, lang), str(result.audio_path), str(result.midi_path), result.piano_roll,
            describe(result, lang), legend(result, lang))


def kept(request, asked, result):
    """The piece in the requester's creations (audio, MIDI, piano roll), with what was asked (the seed drawn
    included); returns the result."""
    settings = {k: v for k, v in asdict(asked).items() if k not in ("primer", "melody")}
    settings |= {"action": "harmonize" if isinstance(asked, HarmonizeRequest) else "compose", "seed": result.seed}
    title = settings.get("text") or settings.get("melody_notes") or mood_name(result.mood, language(request))
    with history.picture_files([result.piano_roll] if result.piano_roll else [], "piano_roll") as roll:
        history.kept(request, "music", str(title), settings, [result.audio_path, result.midi_path, *roll])
    return result


REOPENED = ("text", "mood", "model", "seconds", "temperature", "top_k", "seed", "tempo", "instrument",
            "harmony_instrument", "bass_instrument", "parts", "primer_notes")  # a composed piece's controls
SHARED = ("seed", "tempo", "parts")  # the controls Harmonize shares with composing
HARMONIZED = ("melody_notes", "mood")  # and Harmonize's own


def reopened(creation, path_of) -> list:
    """"Open in its tab": a composed piece's settings back into the controls, a harmonized melody's into Harmonize's."""
    settings, harmonized = creation.settings, creation.settings.get("action") == "harmonize"
    composing = [settings.get(k, gr.update()) if k in SHARED or not harmonized else gr.update() for k in REOPENED]
    own = [settings.get(k, gr.update()) if harmonized else gr.update() for k in HARMONIZED]
    return [list(PARTS) if value is None else value for value in composing] + own  # parts None = every part


def as_program(instrument):
    """A typed custom instrument arrives as text: "40" → 40 (the request checks the range)."""
    return parse_int(instrument, "instrument") if isinstance(instrument, str) else instrument


# -- the page's handlers ---------------------------------------------------------------------------------
@user_errors
def tag_mood(text, request: gr.Request = None):
    return scores(get_pipeline().tag(text).probabilities)


@user_errors
def text_to_music(text, mood, model, seconds, temperature, top_k, seed, tempo, instrument, harmony, bass, parts, primer=None,
                  primer_notes="", request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    music = MusicRequest(text=text, mood=mood, model=model, seconds=seconds, temperature=temperature, top_k=top_k, seed=seed, tempo=tempo,
                         instrument=as_program(instrument), harmony_instrument=as_program(harmony),
                         bass_instrument=as_program(bass), parts=parts, primer=primer, primer_notes=primer_notes)
    return on_page(kept(request, music, get_pipeline().compose(music, progress=watched(progress_in(progress, lang)))), lang)


@user_errors
def harmonize(melody, melody_notes, mood, seed, tempo, parts, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    asked = HarmonizeRequest(melody=melody, melody_notes=melody_notes, mood=mood, seed=seed, tempo=tempo, parts=parts)
    return on_page(kept(request, asked, get_pipeline().harmonize(asked, progress=watched(progress_in(progress, lang)))), lang)


@user_errors
def compare_music(text, seconds, seed, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    compared = get_pipeline().compare(MusicCompareRequest(text=text, seconds=seconds, seed=seed),
                                      progress=watched(progress_in(progress, lang)))
    summary = MESSAGES("compared", lang, mood=mood_name(compared.mood, lang), seed=compared.results[0].seed)
    cells = [value for r in compared.results for value in (str(r.audio_path), r.piano_roll, str(r.midi_path))]
    if compared.musicgen:  # its column exists where MusicGen is present
        cells += [str(compared.musicgen.audio_path), describe(compared.musicgen, lang)]
    return (scores(compared.probabilities), summary, *cells)


# -- the typed endpoints ---------------------------------------------------------------------------------
def api_tag_mood(text: str, request: gr.Request = None) -> dict:
    """Read the mood of a sentence (English or Korean).

    Args:
        text: 1–500 characters.
    Returns:
        {"mood": one of happy, sad, calm, tense, triumphant, "label": its name in the request's language,
         "scores": a probability for each of the five}
    """
    result = get_pipeline().tag(text)
    return {"mood": result.mood, "label": mood_name(result.mood, language(request)), "scores": result.probabilities}


def api_text_to_music(text: str = "", mood: MoodChoice = "auto", seconds: float = 20, temperature: float = 0.9, top_k: int = 0,
                      seed: int = -1, tempo: int = 0, instrument: int = -1, primer: Optional[FileData] = None,
                      primer_notes: str = "", parts: Optional[list[PartName]] = None, harmony_instrument: int = -1,
                      bass_instrument: int = -1, model: ModelChoice = "studio", request: gr.Request = None) -> dict:
    """Compose music for a text: tag its mood (or take the one given), write a melody with that mood's model, arrange it.

    Args:
        text: English or Korean (needed when mood is "auto").
        mood: "auto" or one of happy, sad, calm, tense, triumphant.
        seconds: length, 1–60.
        temperature: 0.1–2 (higher = more surprising).
        top_k: sample among the k likeliest events (0 = all).
        seed: 0 … 4294967295, or -1 for a new variation (the seed used is returned).
        tempo: BPM 1–240, or 0 for the mood's own.
        instrument: the melody's General MIDI program 0–127, or -1 for the mood's own.
        primer: a MIDI file to continue (gradio_client: handle_file(path); at most 1 MB).
        primer_notes: or a few typed notes, e.g. "C4 E4 G4".
        parts: which of melody, harmony, bass, drums play (default all; sad and calm have no drums).
        harmony_instrument: the harmony's General MIDI program, or -1 for the mood's ensemble's.
        bass_instrument: the bass's, likewise.
        model: "studio" (the mood GPTs and harmony model trained here) or "musicgen" (audio only; where its weights are).
    Returns:
        {"mood", "scores" (None when the mood was given), "audio" (Ogg Vorbis), "midi" (type 1, a track per part),
         "piano_roll" (PNG, a colour per part), "seed", "tempo", "instrument", "notes", "parts": [{"part", "instrument",
         "notes"}], "summary"}
    """
    music = MusicRequest(text=text, mood=mood, seconds=seconds, temperature=temperature, top_k=top_k, seed=seed, tempo=tempo,
                         instrument=instrument, primer=file_in(primer, "primer", required=False), primer_notes=primer_notes,
                         parts=parts, harmony_instrument=harmony_instrument, bass_instrument=bass_instrument, model=model)
    # watched(): stops if the client goes away
    return music_result(kept(request, music, get_pipeline().compose(music, progress=watched())), language(request))


def api_harmonize(melody: Optional[FileData] = None, melody_notes: str = "", mood: MoodChoice = "auto", seed: int = -1,
                  tempo: int = 0, parts: Optional[list[PartName]] = None, request: gr.Request = None) -> dict:
    """Harmonize a melody: every note kept, harmony, bass and drums written around it in a mood's ensemble.

    Args:
        melody: a one-line MIDI file (gradio_client: handle_file(path); at most 1 MB, 512 notes).
        melody_notes: or typed notes with optional lengths in beats, e.g. "E4 E4 F4 G4/2" (R = a rest).
        mood: "auto" (the mood the melody fits) or one of happy, sad, calm, tense, triumphant.
        seed: 0 … 4294967295, or -1 for a new harmony (the seed used is returned).
        tempo: BPM 1–240, or 0 for the mood's own.
        parts: which of melody, harmony, bass, drums play (default all).
    Returns:
        the same fields as /text_to_music ("scores" is None).
    """
    asked = HarmonizeRequest(melody=file_in(melody, "melody", required=False), melody_notes=melody_notes, mood=mood,
                             seed=seed, tempo=tempo, parts=parts)
    return music_result(kept(request, asked, get_pipeline().harmonize(asked, progress=watched())), language(request))


def api_compare_music(text: str, seconds: float = 15, seed: int = -1, request: gr.Request = None) -> dict:
    """The same text and seed through all five mood models; the text's own mood is tagged and returned.

    Args:
        text: English or Korean, 1–500 characters.
        seconds: length of each piece, 1–60.
        seed: one seed for all five (-1 = random, returned).
    Returns:
        {"mood": the text's mood, "scores": its five probabilities, "results": one per mood in the order happy, sad,
         calm, tense, triumphant, each as /text_to_music returns it, "musicgen": the text in its mood through MusicGen
         where it is present (else None)}
    """
    lang = language(request)
    compared = get_pipeline().compare(MusicCompareRequest(text=text, seconds=seconds, seed=seed), progress=watched())
    return {"mood": compared.mood, "scores": compared.probabilities, "results": [music_result(r, lang) for r in compared.results],
            "musicgen": music_result(compared.musicgen, lang) if compared.musicgen else None}


# -- the page ---------------------------------------------------------------------------------------------
def advanced_controls() -> dict:
    with gr.Accordion(t("music.advanced"), open=False, elem_id="music-advanced"):
        with gr.Row():
            temperature = gr.Slider(0.1, 2.0, value=0.9, step=0.05, label=t("music.temperature"), info=t("music.temperature_info"))
            top_k = gr.Slider(0, 64, value=0, step=1, label=t("music.top_k"), info=t("music.top_k_info"))
        with gr.Row():
            seed = seed_box(-1, t("music.seed"), info=t("music.seed_info"))
            dice = gr.Button(t("music.random"), scale=0)
            tempo = gr.Slider(0, MAX_TEMPO, value=0, step=1, label=t("music.tempo"), info=t("music.tempo_info"), min_width=220)
        parts = gr.CheckboxGroup(PART_CHOICES, value=list(PARTS), label=t("music.parts"), info=t("music.parts_info"),
                                 elem_id="music-parts")
        with gr.Row():  # any General MIDI program (0–127) may be typed or sent; the lists hold favourites
            instruments = [gr.Dropdown(INSTRUMENTS, value=-1, label=t(f"music.{key}"), allow_custom_value=True, min_width=180)
                           for key in ("instrument", "harmony_instrument", "bass_instrument")]
        with gr.Row():
            primer = gr.File(label=t("music.primer"), file_types=[".mid", ".midi"], type="filepath")
            primer_notes = gr.Textbox(label=t("music.primer_notes"), placeholder="C4 E4 G4 C5")
    dice.click(random_seed, outputs=seed, api_visibility="private")
    return dict(temperature=temperature, top_k=top_k, seed=seed, tempo=tempo, instruments=instruments, parts=parts,
                primer=primer, primer_notes=primer_notes)


def harmonize_controls() -> dict:
    with gr.Accordion(t("music.harmonize_head"), open=False, elem_id="music-harmonize"):
        gr.Markdown(t("music.harmonize_intro"))
        with gr.Row():
            melody = gr.File(label=t("music.melody_file"), file_types=[".mid", ".midi"], type="filepath")
            notes = gr.Textbox(label=t("music.melody_notes"), placeholder="E4 E4 F4 G4 G4 F4 E4 D4 C4/2", lines=2,
                               max_length=4000, elem_id="music-melody-notes")
        mood = gr.Dropdown(MOOD_CHOICES, value="auto", label=t("music.harmonize_mood"), info=t("music.harmonize_mood_info"))
        button = gr.Button(t("music.harmonize"), variant="primary", elem_id="music-harmonize-button")
        gr.Examples(MELODY_EXAMPLES, [notes, mood], label="Melodies · 선율 예시")
    return dict(melody=melody, notes=notes, mood=mood, button=button)


def results_column() -> list:
    with gr.Column(scale=2):
        tagged = gr.Label(label=t("music.tagged"), num_top_classes=5, elem_id="music-mood")
        audio = gr.Audio(label=t("music.audio"), type="filepath", interactive=False, elem_id="music-audio")  # Ogg as made
        midi = gr.File(label=t("music.midi"), interactive=False, height=90)
        info = gr.Markdown(elem_id="music-info")
    return [tagged, audio, midi, info]


def comparison_row() -> tuple[gr.Row, list]:
    """The five moods side by side, right under the results (not below the examples, out of sight)."""
    with gr.Row(elem_id="music-compared", visible=False) as row:
        cells = []
        for m in MOODS:
            with gr.Column(min_width=160):
                # the mood's name above its player: as the player's label it was cut short by the player's buttons
                gr.Markdown(f"**{m} · {KOREAN[m]}** · {SIGNATURES[m].default_tempo} BPM", elem_classes="music-mood-head")
                cells += [gr.Audio(show_label=False, type="filepath", interactive=False),
                          gr.Image(show_label=False, format="png", interactive=False, height=120),
                          gr.DownloadButton(t("music.midi_download"), size="sm", elem_classes="music-mood-midi")]
        if musicgen_present():  # the text's own mood through MusicGen, with its time
            with gr.Column(min_width=160):
                gr.Markdown("**MusicGen**", elem_classes="music-mood-head")
                cells += [gr.Audio(show_label=False, type="filepath", interactive=False), gr.Markdown()]
    return row, cells


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(t("music.intro"))
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label=t("music.text"), placeholder=t("music.text_placeholder"), lines=2, max_length=500,
                                  elem_id="music-text")
                with gr.Row():
                    mood = gr.Dropdown(MOOD_CHOICES, value="auto", label=t("music.mood"), info=t("music.mood_info"))
                    seconds = gr.Slider(1, MAX_SECONDS, value=20, step=1, label=t("music.seconds"))
                model = gr.Dropdown(model_choices(), value="studio", label=t("music.model"), elem_id="music-model")
                advanced = advanced_controls()
                with gr.Row():
                    compose = gr.Button(t("music.generate"), variant="primary", elem_id="music-compose")
                    compare = gr.Button(t("music.compare"), elem_id="music-compare")
                own = harmonize_controls()
                status = gr.Markdown(elem_id="music-status")  # a failed action says why here, beside its buttons
            tagged, audio, midi, info = results_column()
        # No large empty boxes before first use: the piano roll, its legend and the comparison appear with their first result.
        roll = gr.Image(label=t("music.roll"), format="png", interactive=False, elem_id="music-roll", visible=False)
        roll_legend = gr.Markdown(elem_id="music-legend")
        compared_row, compared = comparison_row()
        gr.Examples(EXAMPLES, [text, mood], label="Examples · 예시", example_labels=[text for text, _ in EXAMPLES])

        publish(api_tag_mood, "tag_mood")  # programs' typed endpoints first, so they own the names
        publish(api_text_to_music, "text_to_music", batched("music"))
        publish(api_harmonize, "harmonize")
        publish(api_compare_music, "compare_music")
        a = advanced
        controls = [text, mood, model, seconds, a["temperature"], a["top_k"], a["seed"], a["tempo"], *a["instruments"],
                    a["parts"], a["primer_notes"], own["notes"], own["mood"]]
        history.reopens("music", "tab.music", controls, reopened)
        text.submit(tag_mood, text, tagged, api_visibility="private", show_progress="hidden")
        piece = [tagged, audio, midi, roll, info, roll_legend, status]
        show = dict(queue=False, show_progress="hidden", api_visibility="private")
        for button, handler, inputs, queue in (
                (compose, text_to_music, [text, mood, model, seconds, a["temperature"], a["top_k"], a["seed"], a["tempo"],
                                          *a["instruments"], a["parts"], a["primer"], a["primer_notes"]], batched("music")),
                (own["button"], harmonize, [own["melody"], own["notes"], own["mood"], a["seed"], a["tempo"], a["parts"]], {})):
            revealing(button.click(lambda: gr.Image(visible=True), None, roll, **show).then(  # a phone shows results below
                status_line(handler, len(piece)), inputs, piece, api_visibility="private", **queue), "#music-audio",
                "#music-status")
        revealing(compare.click(lambda: gr.Row(visible=True), None, compared_row, **show).then(
            status_line(compare_music, 3 + len(compared)), [text, seconds, a["seed"]], [tagged, info, *compared, status],
            api_visibility="private"), "#music-compared", "#music-status")
    return demo
