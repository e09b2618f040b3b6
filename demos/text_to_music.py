"""Text → Music tab: words (English or Korean) → a mood → that mood's GPT → MIDI, audio, piano roll."""

from __future__ import annotations

import gradio as gr

from demos.errors import user_errors
from demos.i18n import add_strings
from pipelines.common.seeding import random_seed
from pipelines.mood.tagger import get_tagger
from pipelines.music.generate import MAX_SECONDS
from pipelines.music.moods import KOREAN, MOODS, SIGNATURES
from pipelines.music.studio import TextToMusic

EN = {
    "music.intro": "## Text → Music\nDescribe a scene or a feeling, in English or Korean. The text is tagged with one of five moods, "
    "and that mood's own small GPT — trained here on folk tunes and Bach chorales — writes the music.",
    "music.text": "Your words",
    "music.text_placeholder": "e.g. a rainy goodbye at the station / 비 오는 날 역에서의 이별",
    "music.mood": "Mood",
    "music.mood_info": "'auto' reads it from your words; or choose one.",
    "music.seconds": "Length (seconds)",
    "music.advanced": "Advanced",
    "music.temperature": "Temperature",
    "music.temperature_info": "Higher = more surprising, lower = safer.",
    "music.top_k": "Top-k",
    "music.top_k_info": "Sample only among the k likeliest next events (0 = all).",
    "music.seed": "Seed",
    "music.random": "🎲 Random seed",
    "music.tempo": "Tempo (BPM)",
    "music.tempo_info": "0 = the mood's own tempo.",
    "music.instrument": "Instrument",
    "music.primer": "Primer MIDI (optional): the model continues it",
    "music.primer_notes": "…or type a few notes",
    "music.generate": "Compose",
    "music.compare": "Compare all five moods",
    "music.tagged": "Mood",
    "music.audio": "Listen",
    "music.midi": "MIDI file",
    "music.roll": "Piano roll",
}
KO = {
    "music.intro": "## 글 → 음악\n장면이나 느낌을 영어나 한국어로 적어 보세요. 글을 다섯 가지 분위기 중 하나로 분류하고, "
    "그 분위기 전용의 작은 GPT(이곳에서 민요와 바흐 코랄로 학습)가 음악을 씁니다.",
    "music.text": "내 글",
    "music.text_placeholder": "예: 비 오는 날 역에서의 이별 / a rainy goodbye at the station",
    "music.mood": "분위기",
    "music.mood_info": "'auto'는 글에서 읽어 냅니다. 직접 고를 수도 있어요.",
    "music.seconds": "길이 (초)",
    "music.advanced": "고급 설정",
    "music.temperature": "온도",
    "music.temperature_info": "높을수록 의외의, 낮을수록 무난한 음악.",
    "music.top_k": "Top-k",
    "music.top_k_info": "가장 그럴듯한 k개 중에서만 고릅니다 (0 = 전부).",
    "music.seed": "시드",
    "music.random": "🎲 무작위 시드",
    "music.tempo": "템포 (BPM)",
    "music.tempo_info": "0 = 분위기 기본 템포.",
    "music.instrument": "악기",
    "music.primer": "프라이머 MIDI (선택): 모델이 이어서 연주합니다",
    "music.primer_notes": "…또는 음 몇 개를 입력하세요",
    "music.generate": "작곡하기",
    "music.compare": "다섯 분위기 모두 비교",
    "music.tagged": "분위기",
    "music.audio": "듣기",
    "music.midi": "MIDI 파일",
    "music.roll": "피아노 롤",
}
t = add_strings(EN, KO)

MOOD_CHOICES = [("auto", "auto")] + [(f"{m} · {KOREAN[m]}", m) for m in MOODS]
INSTRUMENTS = [("the mood's own", -1), ("Acoustic Grand Piano", 0), ("Electric Piano", 4), ("Music Box", 10), ("Vibraphone", 11),
               ("Church Organ", 19), ("Nylon Guitar", 24), ("Violin", 40), ("Cello", 42), ("Harp", 46), ("String Ensemble", 48),
               ("Choir Aahs", 52), ("Trumpet", 56), ("French Horn", 60), ("Brass Section", 61), ("Flute", 73), ("Pan Flute", 75)]
EXAMPLES = [
    ["sunny picnic with friends, everyone dancing", "auto"],
    ["a rainy goodbye at the train station", "auto"],
    ["the hero raises the flag on the summit", "auto"],
    ["something is following me in the dark forest", "auto"],
    ["비 오는 날 창가에서 마시는 따뜻한 차", "auto"],
    ["드디어 우승했다! 모두가 환호한다", "auto"],
]
STUDIO = TextToMusic()


def mood_label(result) -> dict:
    if result.probabilities:
        return {f"{m} · {KOREAN[m]}": p for m, p in result.probabilities.items()}
    return {f"{result.mood} · {KOREAN[result.mood]} (chosen)": 1.0}


def describe(result) -> str:
    name = dict((v, k) for k, v in INSTRUMENTS).get(result.program, f"GM program {result.program}")
    timing = " · ".join(f"{stage} {seconds:.2f} s" for stage, seconds in result.timings.items())
    return f"**{result.mood}** at {result.tempo} BPM on {name}, seed {result.seed}, {len(result.piece.notes)} notes · {timing}"


@user_errors
def tag_mood(text):
    result = get_tagger()(text)
    return {f"{m} · {KOREAN[m]}": p for m, p in result.probabilities.items()}


def as_program(instrument):
    """A typed custom instrument arrives as text: "40" → 40 (the pipeline checks the range)."""
    if isinstance(instrument, str) and instrument.strip().lstrip("-").isdigit():
        return int(instrument)
    return instrument


@user_errors
def text_to_music(text, mood, seconds, temperature, top_k, seed, tempo, instrument, primer=None, primer_notes="", progress=gr.Progress()):
    instrument = as_program(instrument)
    result = STUDIO(text, mood, seconds, temperature, top_k, seed, tempo, instrument, primer, primer_notes,
                    progress=lambda f, d: progress(f, desc=d))
    return mood_label(result), str(result.audio_path), str(result.midi_path), result.piano_roll, describe(result)


@user_errors
def compare_music(text, seconds, seed, progress=gr.Progress()):
    results = STUDIO.compare(text, seconds, seed, progress=lambda f, d: progress(f, desc=d))
    return [value for r in results for value in (str(r.audio_path), r.piano_roll)]


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(t("music.intro"))
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label=t("music.text"), placeholder=t("music.text_placeholder"), lines=2, max_length=500)
                with gr.Row():
                    mood = gr.Dropdown(MOOD_CHOICES, value="auto", label=t("music.mood"), info=t("music.mood_info"))
                    seconds = gr.Slider(1, MAX_SECONDS, value=20, step=1, label=t("music.seconds"))
                with gr.Accordion(t("music.advanced"), open=False):
                    with gr.Row():
                        temperature = gr.Slider(0.1, 2.0, value=0.9, step=0.05, label=t("music.temperature"), info=t("music.temperature_info"))
                        top_k = gr.Slider(0, 64, value=0, step=1, label=t("music.top_k"), info=t("music.top_k_info"))
                    with gr.Row():
                        seed = gr.Number(0, minimum=0, label=t("music.seed"))
                        dice = gr.Button(t("music.random"), scale=0)
                        tempo = gr.Slider(0, 240, value=0, step=1, label=t("music.tempo"), info=t("music.tempo_info"))
                        # any General MIDI program (0–127) may be typed or sent; the list holds favourites
                        instrument = gr.Dropdown(INSTRUMENTS, value=-1, label=t("music.instrument"), allow_custom_value=True)
                    with gr.Row():
                        primer = gr.File(label=t("music.primer"), file_types=[".mid", ".midi"], type="filepath")
                        primer_notes = gr.Textbox(label=t("music.primer_notes"), placeholder="C4 E4 G4 C5")
                with gr.Row():
                    compose = gr.Button(t("music.generate"), variant="primary", elem_id="music-compose")
                    compare = gr.Button(t("music.compare"))
            with gr.Column(scale=2):
                tagged = gr.Label(label=t("music.tagged"), num_top_classes=5, elem_id="music-mood")
                audio = gr.Audio(label=t("music.audio"), type="filepath", interactive=False, elem_id="music-audio")
                midi = gr.File(label=t("music.midi"), interactive=False, height=90)
                info = gr.Markdown()
        roll = gr.Image(label=t("music.roll"), format="png", interactive=False, elem_id="music-roll")
        # example_labels: one button per example (the table headers would not be translated)
        gr.Examples(EXAMPLES, [text, mood], label="Examples · 예시", example_labels=[text for text, _ in EXAMPLES])
        with gr.Row():
            compared = []
            for m in MOODS:
                with gr.Column(min_width=160):
                    compared += [gr.Audio(label=f"{m} · {KOREAN[m]} ({SIGNATURES[m].default_tempo} BPM)", type="filepath", interactive=False),
                                 gr.Image(show_label=False, format="png", interactive=False, height=120)]

        dice.click(random_seed, outputs=seed, api_visibility="private")
        text.submit(tag_mood, text, tagged, api_name="tag_mood", show_progress="hidden")
        inputs = [text, mood, seconds, temperature, top_k, seed, tempo, instrument, primer, primer_notes]
        compose.click(text_to_music, inputs, [tagged, audio, midi, roll, info], api_name="text_to_music")
        compare.click(compare_music, [text, seconds, seed], compared, api_name="compare_music")
    return demo
