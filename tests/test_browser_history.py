"""My creations (#20) in a real browser: a picture made is there after a reload (the browser keeps its anonymous
history), opens back in its tab with its settings, and another browser sees none of it; in Korean on a phone too."""

from __future__ import annotations

from tests.test_browser import DESKTOP, PHONE, browser, fill_kept, open_page, wait_text  # noqa: F401 (fixtures)


def make_a_picture(page, prompt: str) -> None:
    fill_kept(page, "#image-prompt textarea", prompt)
    page.locator("#image-generate").click()
    page.locator("#image-gallery img").first.wait_for(timeout=120_000)


def open_saved(page) -> None:
    page.locator('[role=tab][data-tab-id="tab.history"]').click(timeout=30_000)


def test_a_picture_survives_a_reload_and_opens_in_its_tab(open_page):
    page = open_page("en-US", DESKTOP, "tab.image")
    make_a_picture(page, "blue whale")
    page.reload(wait_until="load")  # a new page session: only the browser's own token ties it to the picture
    open_saved(page)
    assert "1 creation(s)" in wait_text(page, "#history-note", r"1 creation")
    page.locator("#history-gallery img").first.click()
    assert "blue whale" in wait_text(page, "#history-chosen", "blue whale")
    page.locator("#history-open").click()
    page.locator("#image-prompt textarea").wait_for(state="visible", timeout=30_000)  # back in Text → Image
    page.wait_for_function("() => document.querySelector('#image-prompt textarea').value === 'blue whale'", timeout=30_000)


def test_another_browser_sees_nothing_and_korean_phone_reads_korean(open_page):
    page = open_page("ko-KR", PHONE, "tab.history")
    note = wait_text(page, "#history-note", "이 브라우저")
    assert "작품 0개" in note and "아직 보관된 작품이 없습니다" in note
    page.locator('[role=tab][data-tab-id="tab.image"]').click()
    make_a_picture(page, "빨간 사과")
    open_saved(page)
    assert "작품 1개" in wait_text(page, "#history-note", "작품 1개")
    page.locator("#history-gallery img").first.click()
    wait_text(page, "#history-chosen", "빨간 사과")
    page.locator("#history-delete").click()
    assert "삭제했습니다" in wait_text(page, "#history-status", "삭제했습니다")
    assert "작품 0개" in wait_text(page, "#history-note", "작품 0개")
