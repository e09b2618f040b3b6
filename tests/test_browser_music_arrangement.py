"""The arrangement (#19) in a real browser: in Korean on a phone, the parts to choose, a melody harmonized, the
coloured piano roll and its legend in Korean; in English on a desktop, a composed piece's legend names its instruments."""

from __future__ import annotations

from tests.test_browser import DESKTOP, PHONE, browser, fill_kept, open_page, wait_text  # noqa: F401 (fixtures)
from tests.test_browser_layout_views import in_view


def test_harmonize_a_typed_melody_in_korean_on_a_phone(open_page):
    page = open_page("ko-KR", PHONE, "tab.music")
    page.locator("#music-advanced").get_by_text("고급 설정").click()
    parts = page.locator("#music-parts")
    for name in ("선율", "화음", "베이스", "드럼"):  # every part, named in Korean, ticked
        assert parts.get_by_label(name, exact=True).is_checked()
    parts.get_by_label("드럼", exact=True).uncheck()
    page.locator("#music-harmonize").get_by_text("🎼 내 선율에 화음 붙이기").click()
    fill_kept(page, page.locator("#music-melody-notes textarea"), "E4 E4 F4 G4 G4 F4 E4 D4 C4 C4 D4 E4 D4/1.5 C4/0.5 C4/2")
    page.locator("#music-harmonize-button").click()
    legend = wait_text(page, "#music-legend", "선율", timeout=120_000)
    assert "화음" in legend and "베이스" in legend and "드럼" not in legend  # the part left out is not played
    page.wait_for_function("() => document.querySelector('#music-roll img')?.naturalHeight > 0", timeout=30_000)
    in_view(page, "#music-audio")
    page.wait_for_function(  # the legend settles under the roll (the roll grows as its picture loads), on screen
        """() => { const r = document.querySelector('#music-roll').getBoundingClientRect(),
                         l = document.querySelector('#music-legend').getBoundingClientRect();
                   return l.top >= r.bottom - 1 && l.right <= 391 && l.height > 0; }""", timeout=10_000)
    assert "⚠" not in page.locator("#music-status").inner_text()


def test_a_bad_melody_is_a_korean_sentence_beside_its_button(open_page):
    page = open_page("ko-KR", PHONE, "tab.music")
    page.locator("#music-harmonize").get_by_text("🎼 내 선율에 화음 붙이기").click()
    fill_kept(page, page.locator("#music-melody-notes textarea"), "도 레 미")
    page.locator("#music-harmonize-button").click()
    message = wait_text(page, "#music-status", "음이 아닙니다")
    assert "'도'은(는)" not in message and "'도'는 음이 아닙니다" in message  # the particle fits the word


def test_a_composed_piece_names_its_instruments_in_english(open_page):
    page = open_page("en-US", DESKTOP, "tab.music")
    fill_kept(page, page.get_by_label("Your words", exact=True), "the hero raises the flag on the summit")
    page.get_by_role("button", name="Compose", exact=True).click()
    legend = wait_text(page, "#music-legend", "melody", timeout=120_000)
    assert "melody: Trumpet" in legend and "harmony: Brass Section" in legend and "bass: Tuba" in legend and "drums" in legend
    page.locator("#music-model input").click()  # offline, MusicGen is offered only as "not downloaded"
    assert page.get_by_role("option", name="MusicGen small — not downloaded here", exact=True).is_visible()
