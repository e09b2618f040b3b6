"""The layout fixed for issue 18 ("What was confusing"), in a real browser at 1280 and 390 px, in English and Korean:

- the quiz's face labels are whole on a phone, with no empty space under the faces;
- a number typed past a slider's end is taken as that end, with a note in the page's language (no English toast),
  in the Latent Lab's directions and the Text → Image tab's steps alike;
- side-by-side captions are shown whole, and say how many of the steps the emoji model ran;
- a result or a message is brought into view, and on a phone the pictures come before the PNG drop box.
"""

import re

import pytest

from tests.test_browser import DESKTOP, PHONE, browser, fill_kept, open_page, wait_text  # noqa: F401 (fixtures)

LOOKS = [pytest.param("en-US", DESKTOP, id="en-1280"), pytest.param("ko-KR", PHONE, id="ko-390"),
         pytest.param("ko-KR", DESKTOP, id="ko-1280"), pytest.param("en-US", PHONE, id="en-390")]
WORDS = {
    "en": dict(sliders="Sliders", direction="Direction 1", steps="Steps", advanced="Advanced", prompt="Prompt",
               side_by_side="Side by side", compare="Compare", marked="real photo|generated", answer="Right|Wrong",
               empty="prompt is empty", note_direction="Direction 1: -5 to 5, so 999 is taken as 5.",
               note_steps=r"Steps: 1 to (\d+), so 999 is taken as \1\.", cell=r"emoji-diffusion · 3 of 10 steps · \d+\.\d\d s$"),
    "ko": dict(sliders="슬라이더", direction="방향 1", steps="단계 수", advanced="고급 설정", prompt="프롬프트",
               side_by_side="나란히 비교", compare="비교", marked="진짜 사진|생성됨", answer="정답|틀렸어요",
               empty="비어 있습니다", note_direction="방향 1의 범위는 -5부터 5까지입니다. 입력한 999 대신 5를 씁니다.",
               note_steps=r"단계 수의 범위는 1부터 (\d+)까지입니다. 입력한 999 대신 \1을 씁니다.",
               cell=r"emoji-diffusion · 10단계 중 3단계 · \d+\.\d\d초$"),
}


def words(locale: str) -> dict:
    return WORDS[locale[:2]]


def in_view(page, selector: str, timeout: int = 15_000) -> None:
    """Wait until the element is wholly within the window (a smooth scroll takes a moment)."""
    page.wait_for_function("sel => { const e = document.querySelector(sel); if (!e) return false;"
                           " const r = e.getBoundingClientRect();"
                           " return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight + 1; }",
                           arg=selector, timeout=timeout)


def whole(locator) -> bool:
    """The element's text is not cut (it fits its box both ways)."""
    return locator.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && e.scrollHeight <= e.clientHeight + 1")


def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] - 1 and b["x"] < a["x"] + a["width"] - 1 and \
        a["y"] < b["y"] + b["height"] - 1 and b["y"] < a["y"] + a["height"] - 1


# The bottom of the picture an <img> shows (object-fit: contain centres it in the element's box).
PICTURE_BOTTOM = ("e => { const r = e.getBoundingClientRect(); const k = Math.min(r.width / e.naturalWidth,"
                  " r.height / e.naturalHeight); return r.top + (r.height + e.naturalHeight * k) / 2; }")


@pytest.mark.parametrize("locale, viewport", LOOKS)
def test_quiz_face_labels_are_whole_with_no_space_under_the_faces(open_page, locale, viewport):
    w = words(locale)
    page = open_page(locale, viewport, "tab.quiz")
    page.locator("#quiz-left img").wait_for(timeout=60_000)
    page.locator("#quiz-right img").wait_for(timeout=30_000)
    page.locator("#quiz-guess label").first.click()
    wait_text(page, "#quiz-result", w["answer"])
    in_view(page, "#quiz-result")  # the verdict is seen, under the faces and the choices
    for side in ("left", "right"):
        label = page.locator(f"#quiz-{side} label[data-testid=block-label]")
        assert re.search(w["marked"], wait_text(page, f"#quiz-{side} label[data-testid=block-label]", w["marked"]))
        assert whole(label), label.inner_text()
        button = page.locator(f"#quiz-{side} .icon-button").first
        assert not overlap(label.bounding_box(), button.bounding_box())  # not hidden under the full-screen button
        block = page.locator(f"#quiz-{side}").bounding_box()
        picture_bottom = page.locator(f"#quiz-{side} img").evaluate(PICTURE_BOTTOM)
        assert block["y"] + block["height"] - picture_bottom < 30  # the box ends with the face


@pytest.mark.parametrize("locale, viewport", LOOKS)
def test_a_number_past_a_slider_end_is_taken_as_the_end_with_a_note(open_page, locale, viewport):
    w = words(locale)
    page = open_page(locale, viewport, "tab.latent")
    page.locator("#latent-samples img").first.wait_for(timeout=30_000)
    page.get_by_role("tab", name=w["sliders"], exact=True).click()
    direction = page.get_by_label(f"number input for {w['direction']}", exact=True)
    fill_kept(page, direction, "999")  # an event fires as the user types: it gets 5, not Gradio's English refusal
    assert wait_text(page, ".range-note", "999") == w["note_direction"]
    direction.press("Tab")
    assert direction.input_value() == "5"
    page.locator("#latent-edited img").wait_for(timeout=30_000)  # the sample, moved 5 along direction 1
    page.wait_for_timeout(1500)
    assert page.locator("[data-testid=toast-body]").count() == 0
    assert page.locator("#latent-edit-status").inner_text().strip() == ""
    assert page.locator(".range-note").inner_text() == w["note_direction"]  # still says what happened

    # The Text → Image tab's sliders behave the same way.
    page.locator('[role=tab][data-tab-id="tab.image"]').click()
    page.locator("#image-advanced").get_by_text(w["advanced"], exact=True).click()
    steps = page.get_by_label(f"number input for {w['steps']}", exact=True)
    fill_kept(page, steps, "999")
    note = page.locator("#image-advanced .range-note")
    note.wait_for(timeout=10_000)
    end = re.fullmatch(w["note_steps"], note.inner_text()).group(1)
    steps.press("Tab")
    assert steps.input_value() == end
    # Back within the range, the note goes.
    fill_kept(page, steps, "20")
    assert note.count() == 0


@pytest.mark.parametrize("locale, viewport", LOOKS)
def test_side_by_side_captions_are_whole_and_say_how_many_steps_ran(open_page, locale, viewport):
    w = words(locale)
    page = open_page(locale, viewport, "tab.image")
    fill_kept(page, page.get_by_label(w["prompt"], exact=True), "red apple")
    page.locator("#image-compare").click()  # 10, 25, 50 steps: the emoji model runs 3, 8 and 15 of them
    captions = page.locator("#image-compared .caption-label")
    page.wait_for_function("() => document.querySelectorAll('#image-compared .caption-label').length === 3", timeout=120_000)
    in_view(page, "#image-compared")
    assert re.search(w["cell"], captions.first.inner_text()), captions.all_inner_texts()
    for i in range(3):
        caption, picture = captions.nth(i), page.locator("#image-compared .thumbnail-item img").nth(i)
        assert whole(caption), caption.inner_text()
        assert not overlap(caption.bounding_box(), picture.bounding_box())  # under the picture, not over it

    # The Latent Lab's side by side too: generator, seed and time, whole.
    page.locator('[role=tab][data-tab-id="tab.latent"]').click()
    page.get_by_role("tab", name=w["side_by_side"], exact=True).click()
    page.get_by_role("button", name=w["compare"], exact=True).click()
    tiles = page.locator("#latent-compared .caption-label")
    page.wait_for_function("() => document.querySelectorAll('#latent-compared .caption-label').length === 16", timeout=60_000)
    in_view(page, "#latent-compared .caption-label")  # the first row at least
    assert all(whole(tiles.nth(i)) for i in range(16))
    assert re.search(r"ms$", tiles.last.inner_text())


@pytest.mark.parametrize("locale, viewport", LOOKS)
def test_the_message_or_the_pictures_come_into_view(open_page, locale, viewport):
    w = words(locale)
    page = open_page(locale, viewport, "tab.image")
    page.locator("#image-generate").click()  # no prompt yet
    wait_text(page, "#image-status", w["empty"])
    in_view(page, "#image-status")  # not left at the window's bottom edge
    fill_kept(page, page.get_by_label(w["prompt"], exact=True), "red apple")
    page.locator("#image-generate").click()
    page.locator("#image-gallery img").first.wait_for(timeout=120_000)
    in_view(page, "#image-gallery")
    gallery, png = page.locator("#image-gallery").bounding_box(), page.locator("#image-png").bounding_box()
    assert gallery["y"] + gallery["height"] <= png["y"] + 1  # the pictures first, the PNG drop box after them
