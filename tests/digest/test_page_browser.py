"""The digest page in a real browser (issue 18): headless chromium driven by Selenium through
Debian's chromedriver.

A citation mark shows its evidence on hover and on keyboard focus, pins it with a click,
Enter or Space, and closes with Escape; the contents links scroll to their story; axe-core
finds no serious or critical violation (with a popover open, and without JavaScript); the
page without JavaScript shows the evidence as footnotes the marks link to; the print styles
hide the popover and the contents and show the footnotes; nothing is loaded from anywhere.
A screenshot is kept in ``tests/artifacts/``.

Skipped, with the reason, when chromium, chromedriver or selenium is missing (``make install``
installs all three).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from digest_nights import TUESDAY, two_nights

from summarize.nlp.text import strip_dateline

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # belt and braces: no host name resolves
         "--window-size=1200,800"]


def _browser_or_skip():
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (Debian: apt-get install -y chromium; `make install` does it as root)")
    if not CHROMEDRIVER.exists():
        pytest.skip("needs /usr/bin/chromedriver (Debian: apt-get install -y chromium-driver; "
                    "`make install` does it as root)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("needs selenium (pip install -e '.[test]')")


def _driver(profile: Path, javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    _browser_or_skip()
    tmp = tmp_path_factory.mktemp("nights")
    two_nights(tmp)
    out = tmp / "digests" / TUESDAY
    return out, json.loads((out / "digest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def browser(night, tmp_path_factory):
    driver = _driver(tmp_path_factory.mktemp("profile"))
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, night):
    """The night-two page, freshly loaded, the mouse in a corner."""
    browser.get((night[0] / "digest.html").as_uri())
    browser.execute_script("window.scrollTo(0, 0)")
    return browser


def _wait(driver, condition, timeout=5.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def _pop(driver):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "pop")


def _quotes(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [q.text for q in _pop(driver).find_elements(By.TAG_NAME, "blockquote")]


def _support(story: dict, n: int, claims: list[dict]) -> set[str]:
    """The supporting sentences of source ``n`` for ``claims`` (brief sentences), as given and
    without their dateline."""
    texts = {sp["text"] for c in claims for sp in c["support"] if sp["n"] == n}
    return texts | {strip_dateline(t) for t in texts}


def _away(driver):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    ActionChains(driver).move_to_element_with_offset(driver.find_element(By.TAG_NAME, "h1"), 0, 0).perform()


def test_hovering_a_citation_quotes_its_supporting_sentence_with_outlet_and_link(page, night):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    data = night[1]["stories"][0]
    sentence = data["brief"]["sentences"][0]
    mark = page.find_element(By.CSS_SELECTOR, f'section[id="{data["story_id"]}"] p.brief a.c')
    n = int(mark.text.strip("[]"))
    assert n == sentence["citations"][0]
    assert not _pop(page).is_displayed() and mark.get_attribute("aria-expanded") == "false"
    ActionChains(page).move_to_element(mark).perform()
    _wait(page, lambda d: _pop(d).is_displayed())
    quotes = _quotes(page)
    assert quotes and set(quotes) <= _support(data, n, [sentence])
    source = next(s for s in data["brief"]["sources"] if s["n"] == n)
    card = _pop(page).find_element(By.CSS_SELECTOR, "p.ps")
    assert source["outlet"] in card.text and source["title"] in card.text and source["published"] in card.text
    assert card.find_element(By.TAG_NAME, "a").get_attribute("href") == source["url"]
    assert mark.get_attribute("aria-expanded") == "true"
    _away(page)
    _wait(page, lambda d: not _pop(d).is_displayed())  # hover alone does not pin

    # A confirmed fact: each outlet's own wording, quoted from the brief sentence's support.
    fact_mark = page.find_element(By.CSS_SELECTOR, f'section[id="{data["story_id"]}"] .facts a.c[href*="-e"]')
    n = int(fact_mark.text.strip("[]"))
    ActionChains(page).move_to_element(fact_mark).perform()
    _wait(page, lambda d: _pop(d).is_displayed() and _quotes(d))
    assert set(_quotes(page)) <= _support(data, n, data["brief"]["sentences"])


def test_a_citation_is_focused_and_pinned_by_keyboard_and_closed_with_escape(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    body = page.find_element(By.TAG_NAME, "body")
    body.click()
    for _ in range(60):  # Tab through the header and contents links to the first citation
        page.switch_to.active_element.send_keys(Keys.TAB)
        if page.switch_to.active_element.get_attribute("class") == "c":
            break
    mark = page.switch_to.active_element
    assert mark.get_attribute("class") == "c", "Tab never reached a citation mark"
    _wait(page, lambda d: _pop(d).is_displayed())  # focus shows the evidence
    assert "pinned" not in _pop(page).get_attribute("class")
    mark.send_keys(Keys.ENTER)
    _wait(page, lambda d: "pinned" in _pop(d).get_attribute("class"))
    assert mark.get_attribute("aria-expanded") == "true" and mark.get_attribute("aria-controls") == "pop"
    _away(page)
    page.execute_script("return new Promise(r => setTimeout(r, 600))")
    assert _pop(page).is_displayed()  # pinned: stays open when the pointer leaves
    mark.send_keys(Keys.TAB)  # the popover comes next in the tab order
    assert _pop(page).find_element(By.TAG_NAME, "button") == page.switch_to.active_element
    page.switch_to.active_element.send_keys(Keys.ESCAPE)
    _wait(page, lambda d: not _pop(d).is_displayed())
    assert page.switch_to.active_element == mark and mark.get_attribute("aria-expanded") == "false"
    mark.send_keys(Keys.SPACE)  # Space pins too, and does not scroll the page
    _wait(page, lambda d: "pinned" in _pop(d).get_attribute("class") and _pop(d).is_displayed())
    mark.send_keys(Keys.ESCAPE)
    _wait(page, lambda d: not _pop(d).is_displayed())


def test_a_click_pins_and_a_click_elsewhere_closes(page):
    from selenium.webdriver.common.by import By

    mark = page.find_elements(By.CSS_SELECTOR, "p.brief a.c")[1]
    mark.click()
    _wait(page, lambda d: "pinned" in _pop(d).get_attribute("class") and _pop(d).is_displayed())
    assert page.current_url.endswith("digest.html")  # the in-page link was not followed
    page.find_element(By.TAG_NAME, "h1").click()
    _wait(page, lambda d: not _pop(d).is_displayed())


def test_the_contents_link_scrolls_to_the_story_anchor(page, night):
    from selenium.webdriver.common.by import By

    second = night[1]["stories"][1]["story_id"]
    link = page.find_element(By.CSS_SELECTOR, f'nav.toc a[href="#{second}"]')
    assert link.text == night[1]["stories"][1]["title"]
    link.click()
    _wait(page, lambda d: d.current_url.endswith(f"#{second}"))
    state = page.execute_script(
        "const s = document.getElementById(arguments[0]);"
        "const margin = parseFloat(getComputedStyle(s).scrollMarginTop) || 0;"
        "const top = s.getBoundingClientRect().top + window.scrollY - margin;"
        "const max = document.documentElement.scrollHeight - window.innerHeight;"
        "return {y: window.scrollY, want: Math.min(top, max), target: document.querySelector(':target').id,"
        "        visible: s.getBoundingClientRect().top < window.innerHeight};", second)
    assert state["target"] == second and state["visible"]
    assert abs(state["y"] - state["want"]) <= 2, state


def _axe(driver) -> list[dict]:
    """Serious and critical axe-core violations on the loaded page (axe-selenium-python's
    bundled axe.min.js, injected by WebDriver, so the page's CSP does not apply)."""
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    result = axe.run()
    assert result["passes"], "axe ran no check"
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
            for v in result["violations"] if v["impact"] in {"serious", "critical"}]


def test_axe_finds_no_serious_or_critical_violation_and_the_page_loads_nothing(page):
    from selenium.webdriver.common.by import By

    assert _axe(page) == []
    page.find_elements(By.CSS_SELECTOR, ".facts a.c")[0].click()  # with a popover open
    _wait(page, lambda d: _pop(d).is_displayed())
    assert _axe(page) == []
    # nothing was fetched: no resource besides the page itself, no CSP report
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_print_styles_hide_the_popover_and_contents_and_show_the_footnotes(page):
    from selenium.webdriver.common.by import By

    page.find_elements(By.CSS_SELECTOR, "p.brief a.c")[0].click()
    _wait(page, lambda d: _pop(d).is_displayed())
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = page.execute_script(
            "const d = s => getComputedStyle(document.querySelector(s)).display;"
            "return {pop: d('#pop'), toc: d('nav.toc'), evidence: d('.evidence'), feeds: d('.feeds')};")
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert shown == {"pop": "none", "toc": "none", "evidence": "block", "feeds": "none"}
    assert page.execute_script("return getComputedStyle(document.querySelector('.evidence')).display") == "none"


def test_without_javascript_the_marks_link_to_footnotes_that_quote_the_evidence(night, tmp_path):
    from selenium.webdriver.common.by import By

    out, data = night
    driver = _driver(tmp_path / "profile", javascript=False)
    try:
        driver.get((out / "digest.html").as_uri())
        assert "js" not in (driver.find_element(By.TAG_NAME, "html").get_attribute("class") or "")
        evidence = driver.find_element(By.CSS_SELECTOR, ".evidence")
        assert evidence.is_displayed()
        story = data["stories"][0]
        mark = driver.find_element(By.CSS_SELECTOR, f'section[id="{story["story_id"]}"] .facts a.c[href*="-e"]')
        assert mark.get_attribute("aria-expanded") is None  # plain in-page links
        target = mark.get_attribute("href").split("#", 1)[1]
        mark.click()
        assert driver.current_url.endswith(f"#{target}")
        note = driver.find_element(By.ID, target)
        assert note.is_displayed()
        n = int(mark.text.strip("[]"))
        quotes = [q.text.strip("\u201c\u201d\"") for q in note.find_elements(By.TAG_NAME, "q")]
        assert quotes and set(quotes) <= _support(story, n, story["brief"]["sentences"])
        # a mark whose source has the sentence word for word points at the source entry
        plain = driver.find_element(By.CSS_SELECTOR, "p.brief a.c[data-q]")
        entry = driver.find_element(By.ID, plain.get_attribute("href").split("#", 1)[1])
        assert entry.tag_name == "li" and entry.find_element(By.TAG_NAME, "b").text
    finally:
        driver.quit()


def test_axe_without_javascript(night, browser, tmp_path):
    """The page as a reader without JavaScript gets it (same markup, no script), checked by axe."""
    out, _ = night
    static = out / "digest.nojs.html"
    static.write_text(re.sub(r"<script>.*?</script>", "", (out / "digest.html").read_text(encoding="utf-8"),
                             flags=re.DOTALL), encoding="utf-8")
    browser.get(static.as_uri())
    assert browser.execute_script("return document.documentElement.classList.contains('js')") is False
    assert _axe(browser) == []


def test_screenshot_of_a_pinned_citation_is_kept(page, night):
    from selenium.webdriver.common.by import By

    fact = page.find_elements(By.CSS_SELECTOR, ".facts a.c")[1]
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", fact)
    fact.click()
    _wait(page, lambda d: _pop(d).is_displayed() and _quotes(d))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "digest-page.png"
    assert page.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    shutil.copy(night[0] / "digest.html", ARTIFACTS / "digest-page.html")
