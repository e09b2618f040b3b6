"""Text → Music tab: words (English or Korean) → a mood → that mood's GPT → MIDI, audio, piano roll."""

from __future__ import annotations

from typing import Optional

import gradio as gr
from gradio.data_classes import FileData

from demos.api import file_in, file_out, image_out, publish
from demos.controls import seed_box
from demos.errors import status_line, user_errors
from demos.i18n import Messages, add_strings, bilingual, language, progress_in
from demos.limits import watched
from demos.page_js import revealing
from pipelines.common.seeding import random_seed
from pipelines.common.validation import parse_int
from pipelines.text_to_music.generate import MAX_SECONDS
from pipelines.text_to_music.moods import KOREAN, MOODS, SIGNATURES
from pipelines.text_to_music.pipeline import MAX_TEMPO, MoodChoice, MusicCompareRequest, MusicRequest, get_pipeline

t = add_strings(*bilingual({
    "music.intro": ("## Text → Music\nDescribe a scene or a feeling, in English or Korean. The text is tagged with one of five moods, "
                    "and that mood's own small GPT — trained here on folk tunes and Bach chorales — writes the music.",
                    "## 글 → 음악\n장면이나 느낌을 영어나 한국어로 적어 보세요. 글을 다섯 가지 분위기 중 하나로 분류하고, "
                    "그 분위기 전용의 작은 GPT(이곳에서 민요와 바흐 코랄로 학습)가 음악을 씁니다."),
    "music.text": ("Your words",
                   "내 글"),
    "music.text_placeholder": ("e.g. a rainy goodbye at the station / 비 오는 날 역에서의 이별",
                               "예: 비 오는 날 역에서의 이별 / a rainy goodbye at the station"),
    "music.mood": ("Mood",
                   "분위기"),
    "music.mood_info": ("'auto' reads it from your words; or choose one.",
                        "'자동'은 글에서 읽어 냅니다. 직접 고를 수도 있어요."),
    "music.auto": ("auto",
                   "자동"),
    "music.own_instrument": ("the mood's own",
                             "분위기 기본 악기"),
    "music.seconds": ("Length (seconds)",
                      "길이 (초)"),
    "music.advanced": ("Advanced",
                       "고급 설정"),
    "music.temperature": ("Temperature",
                          "온도"),
    "music.temperature_info": ("Higher = more surprising, lower = safer.",
                               "높을수록 의외의, 낮을수록 무난한 음악."),
    "music.top_k": ("Top-k",
                    "상위 k개"),
    "music.top_k_info": ("Sample only among the k likeliest next events (0 = all).",
                         "가장 그럴듯한 k개 중에서만 고릅니다 (0 = 전부)."),
    "music.seed": ("Seed",
                   "시드"),
    "music.seed_info": ("-1 = a new variation each time; the seed used is shown with the result.",
                        "-1 = 누를 때마다 새 변주. 사용한 시드는 결과와 함께 표시됩니다."),
    "music.random": ("🎲 Random seed",
                     "🎲 무작위 시드"),
    "music.tempo": ("Tempo (BPM)",
                    "템포 (BPM)"),
    "music.tempo_info": ("0 = the mood's own tempo.",
                         "0 = 분위기 기본 템포."),
    "music.instrument": ("Instrument",
                         "악기"),
    "music.primer": ("Primer MIDI (optional): the model continues it",
                     "프라이머 MIDI (선택): 모델이 이어서 연주합니다"),
    "music.primer_notes": ("…or type a few notes",
                           "…또는 음 몇 개를 입력하세요"),
    "music.generate": ("Compose",
                       "작곡하기"),
    "music.compare": ("Compare all five moods",
                      "다섯 분위기 모두 비교"),
    "music.tagged": ("Mood",
                     "분위기"),
    "music.audio": ("Listen",
                    "듣기"),
    "music.midi": ("MIDI file",
                   "MIDI 파일"),
    "music.midi_download": ("⬇ MIDI file",
                            "⬇ MIDI 파일"),
    "music.roll": ("Piano roll",
                   "피아노 롤"),
}))

# What the tab writes while running, in the request's language.
MESSAGES = Messages(*bilingual({
    "summary": ("**{mood}** at {tempo} BPM on {instrument}, seed **{seed}**, {notes} notes · {timing}",
                "**{mood}** · {tempo} BPM · {instrument} · 시드 **{seed}** · 음 {notes}개 · {timing}"),
    "chosen": ("{mood} (chosen)",
               "{mood} (직접 고름)"),
    "program": ("GM program {program}",
                "GM 프로그램 {program}"),
    "timing": ("{stage} {seconds:.2f} s",
               "{stage} {seconds:.2f}초"),
    "compared": ("Your words read as **{mood}**; below, the same seed ({seed}) through each mood's model.",
                 "글의 분위기는 **{mood}**입니다. 아래는 같은 시드({seed})로 각 분위기 모델이 만든 음악입니다."),
}))
STAGES_KO = {"tag": "분류", "sample": "생성", "render": "렌더링"}
# General MIDI programs offered in the instrument picker: (English, Korean), one place for both languages.
INSTRUMENT_NAMES = {0: ("Acoustic Grand Piano", "어쿠스틱 그랜드 피아노"), 4: ("Electric Piano", "전자 피아노"),
                    10: ("Music Box", "뮤직 박스"), 11: ("Vibraphone", "비브라폰"), 19: ("Church Organ", "교회 오르간"),
                    24: ("Nylon Guitar", "나일론 기타"), 40: ("Violin", "바이올린"), 42: ("Cello", "첼로"), 46: ("Harp", "하프"),
                    48: ("String Ensemble", "현악 합주"), 52: ("Choir Aahs", "합창"), 56: ("Trumpet", "트럼펫"),
                    60: ("French Horn", "호른"), 61: ("Brass Section", "금관 합주"), 73: ("Flute", "플루트"),
                    75: ("Pan Flute", "팬 플루트")}
add_strings(*bilingual({f"instrument.{program}": names for program, names in INSTRUMENT_NAMES.items()}))

MOOD_CHOICES = [(t("music.auto"), "auto")] + [(f"{m} · {KOREAN[m]}", m) for m in MOODS]
INSTRUMENTS = [(t("music.own_instrument"), -1)] + [(t(f"instrument.{program}"), program) for program in INSTRUMENT_NAMES]
EXAMPLES = [
    ["sunny picnic with friends, everyone dancing", "auto"],
    ["a rainy goodbye at the train station", "auto"],
    ["the hero raises the flag on the summit", "auto"],
    ["something is following me in the dark forest", "auto"],
    ["비 오는 날 창가에서 마시는 따뜻한 차", "auto"],
    ["드디어 우승했다! 모두가 환호한다", "auto"],
]


def mood_name(mood: str, lang: str) -> str:
    return KOREAN[mood] if lang == "ko" else mood


def scores(probabilities: dict[str, float]) -> dict:
    """The tagger's scores under each mood's two names, for a gr.Label."""
    return {f"{m} · {KOREAN[m]}": p for m, p in probabilities.items()}


def mood_label(result, lang: str = "en") -> dict:
    if result.probabilities:
        return scores(result.probabilities)
    return {MESSAGES("chosen", lang, mood=f"{result.mood} · {KOREAN[result.mood]}"): 1.0}


def instrument_name(program: int, lang: str) -> str:
    if program in INSTRUMENT_NAMES:
        return INSTRUMENT_NAMES[program][lang == "ko"]
    return MESSAGES("program", lang, program=program)


def describe(result, lang: str = "en") -> str:
    timing = " · ".join(MESSAGES("timing", lang, stage=STAGES_KO.get(stage, stage) if lang == "ko" else stage, seconds=seconds)
                        for stage, seconds in result.timings.items())
    return MESSAGES("summary", lang, mood=mood_name(result.mood, lang), tempo=result.tempo, seed=result.seed,
                    instrument=instrument_name(result.program, lang), notes=len(result.piece.notes), timing=timing)


@user_errors
def tag_mood(text, request: gr.Request = None):
    return scores(get_pipeline().tag(text).probabilities)


def as_program(instrument):
    """A typed custom instrument arrives as text: "40" → 40 (the request checks the range)."""
    if isinstance(instrument, str):
        return parse_int(instrument, "instrument")
    return instrument


@user_errors
def text_to_music(text, mood, seconds, temperature, top_k, seed, tempo, instrument, primer=None, primer_notes="",
                  request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    music = MusicRequest(text=text, mood=mood, seconds=seconds, temperature=temperature, top_k=top_k, seed=seed, tempo=tempo,
                         instrument=as_program(instrument), primer=primer, primer_notes=primer_notes)
    result = get_pipeline().compose(music, progress=watched(progress_in(progress, lang)))
    return mood_label(result, lang), str(result.audio_path), str(result.midi_path), result.piano_roll, describe(result, lang)


@user_errors
def compare_music(text, seconds, seed, request: gr.Request = None, progress=gr.Progress()):
    lang = language(request)
    compared = get_pipeline().compare(MusicCompareRequest(text=text, seconds=seconds, seed=seed),
                                      progress=watched(progress_in(progress, lang)))
    summary = MESSAGES("compared", lang, mood=mood_name(compared.mood, lang), seed=compared.results[0].seed)
    return (scores(compared.probabilities), summary,
            *[value for r in compared.results for value in (str(r.audio_path), r.piano_roll, str(r.midi_path))])


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


def _music_result(result, lang: str) -> dict:
    return {"mood": result.mood, "scores": result.probabilities, "audio": file_out(result.audio_path),
            "midi": file_out(result.midi_path), "piano_roll": image_out(result.piano_roll, "piano_roll"),
            "seed": result.seed, "tempo": result.tempo, "instrument": result.program, "notes": len(result.piece.notes),
            "summary": describe(result, lang)}


def api_text_to_music(text: str = "", mood: MoodChoice = "auto", seconds: float = 20, temperature: float = 0.9, top_k: int = 0,
                      seed: int = -1, tempo: int = 0, instrument: int = -1, primer: Optional[FileData] = None,
                      primer_notes: str = "", request: gr.Request = None) -> dict:
    """Compose music for a text: tag its mood (or take the one given), continue with that mood's model.

    Args:
        text: English or Korean (needed when mood is "auto").
        mood: "auto" or one of happy, sad, calm, tense, triumphant.
        seconds: length, 1–60.
        temperature: 0.1–2 (higher = more surprising).
        top_k: sample among the k likeliest events (0 = all).
        seed: 0 … 4294967295, or -1 for a new variation (the seed used is returned).
        tempo: BPM 1–240, or 0 for the mood's own.
        instrument: General MIDI program 0–127, or -1 for the mood's own.
        primer: a MIDI file to continue (gradio_client: handle_file(path); at most 1 MB).
        primer_notes: or a few typed notes, e.g. "C4 E4 G4".
    Returns:
        {"mood", "scores" (None when the mood was given), "audio" (Ogg Vorbis), "midi", "piano_roll" (PNG),
         "seed", "tempo", "instrument", "notes", "summary"}
    """
    music = MusicRequest(text=text, mood=mood, seconds=seconds, temperature=temperature, top_k=top_k, seed=seed, tempo=tempo,
                         instrument=instrument, primer=file_in(primer, "primer", required=False), primer_notes=primer_notes)
    return _music_result(get_pipeline().compose(music, progress=watched()), language(request))  # stops if the client goes away


def api_compare_music(text: str, seconds: float = 15, seed: int = -1, request: gr.Request = None) -> dict:
    """The same text and seed through all five mood models; the text's own mood is tagged and returned.

    Args:
        text: English or Korean, 1–500 characters.
        seconds: length of each piece, 1–60.
        seed: one seed for all five (-1 = random, returned).
    Returns:
        {"mood": the text's mood, "scores": its five probabilities, "results": one per mood in the order happy, sad,
         calm, tense, triumphant, each {"mood", "audio", "midi", "piano_roll", "seed", "tempo", "instrument", "notes", "summary"}}
    """
    lang = language(request)
    compared = get_pipeline().compare(MusicCompareRequest(text=text, seconds=seconds, seed=seed), progress=watched())
    return {"mood": compared.mood, "scores": compared.probabilities, "results": [_music_result(r, lang) for r in compared.results]}


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
                with gr.Accordion(t("music.advanced"), open=False, elem_id="music-advanced"):
                    with gr.Row():
                        temperature = gr.Slider(0.1, 2.0, value=0.9, step=0.05, label=t("music.temperature"), info=t("music.temperature_info"))
                        top_k = gr.Slider(0, 64, value=0, step=1, label=t("music.top_k"), info=t("music.top_k_info"))
                    with gr.Row():
                        seed = seed_box(-1, t("music.seed"), info=t("music.seed_info"))
                        dice = gr.Button(t("music.random"), scale=0)
                        tempo = gr.Slider(0, MAX_TEMPO, value=0, step=1, label=t("music.tempo"), info=t("music.tempo_info"), min_width=220)
                        # any General MIDI program (0–127) may be typed or sent; the list holds favourites
                        instrument = gr.Dropdown(INSTRUMENTS, value=-1, label=t("music.instrument"), allow_custom_value=True,
                                                 min_width=220)
                    with gr.Row():
                        primer = gr.File(label=t("music.primer"), file_types=[".mid", ".midi"], type="filepath")
                        primer_notes = gr.Textbox(label=t("music.primer_notes"), placeholder="C4 E4 G4 C5")
                with gr.Row():
                    compose = gr.Button(t("music.generate"), variant="primary", elem_id="music-compose")
                    compare = gr.Button(t("music.compare"), elem_id="music-compare")
                status = gr.Markdown(elem_id="music-status")  # a failed action says why here, beside its buttons
            with gr.Column(scale=2):
                tagged = gr.Label(label=t("music.tagged"), num_top_classes=5, elem_id="music-mood")
                audio = gr.Audio(label=t("music.audio"), type="filepath", interactive=False, elem_id="music-audio")  # Ogg as made: format=None converts nothing
                midi = gr.File(label=t("music.midi"), interactive=False, height=90)
                info = gr.Markdown(elem_id="music-info")
        # No large empty boxes before first use: the piano roll and the comparison appear with their first result.
        roll = gr.Image(label=t("music.roll"), format="png", interactive=False, elem_id="music-roll", visible=False)
        # The comparison sits right under the results (not below the examples, out of sight).
        with gr.Row(elem_id="music-compared", visible=False) as compared_row:
            compared = []
            for m in MOODS:
                with gr.Column(min_width=160):
                    # the mood's name above its player: as the player's label it was cut short by the player's buttons
                    gr.Markdown(f"**{m} · {KOREAN[m]}** · {SIGNATURES[m].default_tempo} BPM", elem_classes="music-mood-head")
                    compared += [gr.Audio(show_label=False, type="filepath", interactive=False),
                                 gr.Image(show_label=False, format="png", interactive=False, height=120),
                                 gr.DownloadButton(t("music.midi_download"), size="sm", elem_classes="music-mood-midi")]
        # example_labels: one button per example (the table headers would not be translated)
        gr.Examples(EXAMPLES, [text, mood], label="Examples · 예시", example_labels=[text for text, _ in EXAMPLES])

        # Programs call the typed endpoints (published first, so they own the names); the page's events are private.
        publish(api_tag_mood, "tag_mood")
        publish(api_text_to_music, "text_to_music")
        publish(api_compare_music, "compare_music")
        dice.click(random_seed, outputs=seed, api_visibility="private")
        text.submit(tag_mood, text, tagged, api_visibility="private", show_progress="hidden")
        inputs = [text, mood, seconds, temperature, top_k, seed, tempo, instrument, primer, primer_notes]
        show = dict(queue=False, show_progress="hidden", api_visibility="private")
        revealing(compose.click(lambda: gr.Image(visible=True), None, roll, **show).then(  # a phone shows results below
            status_line(text_to_music, 6), inputs, [tagged, audio, midi, roll, info, status], api_visibility="private"),
            "#music-audio", "#music-status")
        revealing(compare.click(lambda: gr.Row(visible=True), None, compared_row, **show).then(
            status_line(compare_music, 3 + len(compared)), [text, seconds, seed], [tagged, info, *compared, status],
            api_visibility="private"), "#music-compared", "#music-status")
    return demo
