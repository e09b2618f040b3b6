"""pipelines/common/korean.py: particles chosen by the word before them, as Korean is written (issue 18)."""

import pytest

from pipelines.common.korean import fill, final_sound, korean_name, korean_names, with_particles

FALLBACKS = ("(는)", "(은)", "(가)", "(이)", "(를)", "(을)", "(와)", "(과)", "(으)")


@pytest.mark.parametrize("text, expected", [
    ("프롬프트이(가) 비어 있습니다", "프롬프트가 비어 있습니다"),
    ("시드은(는) 0부터", "시드는 0부터"),
    ("글이(가) 깁니다", "글이 깁니다"),
    ("악기은(는)", "악기는"),
    ("'도'은(는) 음이 아닙니다", "'도'는 음이 아닙니다"),
    ("학습률은(는) 0.000001부터", "학습률은 0.000001부터"),
    ("단계 수은(는) 1부터", "단계 수는 1부터"),  # not 수은, "mercury"
    ("top-k은(는)", "top-k는"),  # 케이
    ("모델 'stabilityai/sd-turbo'을(를) 불러올 수 없습니다", "모델 'stabilityai/sd-turbo'를 불러올 수 없습니다"),
    ("16(으)로 나누어", "16으로 나누어"),
    ("서울(으)로", "서울로"),
    ("학교(으)로", "학교로"),
    ("집(으)로", "집으로"),
    ("8(으)로", "8로"),  # 팔
    ("DCGAN과(와) VAE", "DCGAN과 VAE"),  # 엔
    ("VAE과(와) GAN", "VAE와 GAN"),  # 이
    ("pixel(으)로", "pixel로"),  # 엘
    ("다양성(절단 ψ)은(는)", "다양성(절단 ψ)은"),  # an aside: the word before it counts
    ("길이(초)은(는)", "길이(초)는"),
    ("**53.8 %**이(가)", "**53.8 %**가"),  # 퍼센트
    ("그룹 A 항목은(는)", "그룹 A 항목은"),
    ("그림(이)나 글", "그림이나 글"),
    ("노래(이)나 글", "노래나 글"),
])
def test_particles_follow_the_word(text, expected):
    assert with_particles(text) == expected
    assert not any(f in with_particles(text) for f in FALLBACKS)


@pytest.mark.parametrize("number, final", [
    ("0", "C"), ("1", "ㄹ"), ("2", ""), ("3", "C"), ("4", ""), ("5", ""), ("6", "C"), ("7", "ㄹ"), ("8", "ㄹ"), ("9", ""),
    ("10", "C"), ("20", "C"), ("100", "C"), ("1000", "C"), ("10000", "C"), ("100000000", "C"), ("1000000000000", ""),
    ("4294967295", ""), ("4,294,967,295", ""), ("0.5", ""), ("2.0", "C"), ("-1", "ㄹ"), ("1e-06", "C"),
])
def test_numbers_are_read_aloud(number, final):
    assert final_sound(number) == final


@pytest.mark.parametrize("word, final", [
    ("A", ""), ("L", "ㄹ"), ("M", "C"), ("N", "C"), ("R", "ㄹ"), ("k", ""), ("emoji-diffusion", "C"), ("Noto", ""),
    ("'x'", ""), ("…", ""), ("", ""), ("😀", ""), ("가", ""), ("각", "C"), ("갈", "ㄹ"), ("「달」", "ㄹ"),
])
def test_final_sound(word, final):
    assert final_sound(word) == final


def test_fill_names_inputs_in_korean_and_fits_particles():
    korean_names({"test-only length": "길이"})
    assert korean_name("test-only length") == "길이" and korean_name("test-only length entry") == "길이 항목"
    assert korean_name("unknown name") == "unknown name"
    assert fill("{name}이(가) {n}자입니다", {"name": "test-only length", "n": 3}) == "길이가 3자입니다"
    with pytest.raises(ValueError, match="already"):
        korean_names({"test-only length": "장"})


@pytest.mark.parametrize("what, korean", [("the embedded image model", "내장 이미지 모델"), ("quiz generator", "퀴즈 생성기"),
                                          ("the translation model", "번역 모델")])
def test_models_named_in_a_missing_model_sentence_are_named_in_korean(what, korean):
    import pipelines.text_to_image.translate  # noqa: F401 (registers the translation model's name)
    from pipelines.common.loading import resolve_model_source
    from pipelines.common.validation import say

    with pytest.raises(ValueError) as missing:
        resolve_model_source("./no-such-folder", what=what)
    assert say(missing.value, "ko").startswith(f"{korean} './no-such-folder'") and what not in say(missing.value, "ko")


def test_a_notice_keeps_its_korean_when_copied():
    # Gradio deep-copies what it keeps (a label table, a state): a copy must still say itself in Korean.
    import copy
    import pickle

    from pipelines.common.validation import Notice, say

    notice = Notice("test.nested", "GAN: quality good", "{family}: 품질 좋음", family=Notice("test.family", "GAN", "GAN (기본)"))
    for copied in (copy.deepcopy(notice), pickle.loads(pickle.dumps(notice))):
        assert copied == "GAN: quality good" and say(copied, "ko") == "GAN (기본): 품질 좋음"
