#!/usr/bin/env python3
"""Drives the review dashboard of a running `tidings serve` in headless Chromium (Selenium and
chromium-driver), as issue 16's "Proof" asks: sign-in, a reviewer without the role refused, a
form without its CSRF token refused, a draft's sandboxed preview, its approval, the experiments
chart and the audit timeline. Run by Tests/TidingsServeTests/BrowserProofTests.swift, which
prepares the data, runs the server and then checks the service's outbox and the audit.

Usage: dashboard_proof.py SCENARIO.json

The scenario names the server's base URL, the reviewers (`allowed`, who may approve the draft,
and `refused`, whose role does not cover it) with their passwords, the queued draft's review id
and event id, a text its HTML preview must show, and optionally `screenshot` (a PNG path: the
draft page with its preview is captured there before approval) and `chromium`/`chromedriver`
(the binaries).

Prints one JSON object on stdout: {"checks": [{"name", "ok", "detail"}...]}. Exits 0 when every
check passed, 1 when one failed (the rest are still reported where they can be), 2 when the
browser could not start (the message says what to install).
"""

import json
import sys
import time
import traceback
import urllib.parse


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        scenario = json.load(handle)
    try:
        from selenium import webdriver
        from selenium.common.exceptions import NoSuchElementException, WebDriverException
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
    except ImportError as error:
        print(f"selenium is not importable ({error}); pip install selenium", file=sys.stderr)
        return 2

    options = webdriver.ChromeOptions()
    options.binary_location = scenario.get("chromium", "/usr/bin/chromium")
    # --no-sandbox: CI runs as root, where Chromium's own sandbox cannot start.
    for argument in [
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1280,1000", "--force-device-scale-factor=1", "--lang=en-US",
        "--no-first-run", "--disable-extensions", "--disable-background-networking",
    ]:
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(
            service=Service(scenario.get("chromedriver", "/usr/bin/chromedriver")), options=options)
    except WebDriverException as error:
        print("headless Chromium did not start: " + str(error).strip().splitlines()[0]
              + "\ninstall Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver",
              file=sys.stderr)
        return 2
    driver.set_page_load_timeout(60)

    base = scenario["base"].rstrip("/")
    review_id = scenario["review_id"]
    event_id = scenario["event_id"]
    draft_path = "/review/" + urllib.parse.quote(review_id, safe="")
    checks = []

    def check(name, ok, detail=""):
        checks.append({"name": name, "ok": bool(ok), "detail": str(detail)[:2000]})
        return ok

    def body_text():
        return driver.find_element(By.TAG_NAME, "body").text

    def sign_in(name, password):
        driver.get(base + "/signin")
        driver.find_element(By.ID, "name").send_keys(name)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "form[action='/signin'] button[type='submit']").click()
        wait_for(lambda: driver.execute_script("return document.readyState") == "complete"
                 and driver.find_elements(By.TAG_NAME, "h1")
                 and (urllib.parse.urlparse(driver.current_url).path != "/signin"
                      or driver.find_elements(By.CSS_SELECTOR, ".problem")))

    def sign_out():
        driver.find_element(By.CSS_SELECTOR, "form[action='/signout'] button[type='submit']").click()
        wait_for(lambda: urllib.parse.urlparse(driver.current_url).path == "/signin")

    def forms(action):
        return driver.find_elements(By.CSS_SELECTOR, f"form[action='{action}']")

    try:
        # Signed out, the queue is behind the sign-in page.
        driver.get(base + "/review")
        check("signed out, /review leads to the sign-in page",
              urllib.parse.urlparse(driver.current_url).path == "/signin", driver.current_url)

        # A wrong password is refused.
        sign_in(scenario["allowed"]["name"], "not-the-password")
        check("a wrong password is refused", "Wrong name or password" in body_text(), body_text()[:300])

        # A reviewer whose role does not cover the draft sees it but may not decide.
        refused = scenario["refused"]
        sign_in(refused["name"], refused["password"])
        check("the reviewer without the role signs in",
              urllib.parse.urlparse(driver.current_url).path == "/review", driver.current_url)
        driver.get(base + draft_path)
        check("the page says the role does not cover the draft", "may look, not decide" in body_text(),
              body_text()[:600])
        approve = forms(draft_path + "/approve")
        if approve:
            # The page offers the form all the same: the server must refuse it.
            approve[0].find_element(By.CSS_SELECTOR, "button[type='submit']").click()
        else:
            # No form: one built from the page's own session token is refused all the same.
            token = driver.find_element(By.CSS_SELECTOR, "input[name='csrf']").get_attribute("value")
            driver.execute_script(
                """const form = document.createElement('form');
                form.method = 'post'; form.action = arguments[0];
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = 'csrf'; input.value = arguments[1];
                form.appendChild(input); document.body.appendChild(form); form.submit();""",
                draft_path + "/approve", token)
        wait_for(lambda: urllib.parse.urlparse(driver.current_url).path == draft_path + "/approve")
        refusal = body_text()
        check("an approval by the reviewer without the role is refused",
              refused["name"] + " may not approve" in refusal, refusal[:600])
        sign_out()

        # The reviewer with the role: the queue, the draft, its preview.
        allowed = scenario["allowed"]
        sign_in(allowed["name"], allowed["password"])
        links = driver.find_elements(By.CSS_SELECTOR, f"a[href='{draft_path}']")
        check("the queue lists the draft", links, driver.page_source[:800])
        if links:
            links[0].click()
        else:
            driver.get(base + draft_path)
        check("the draft page opens", urllib.parse.urlparse(driver.current_url).path == draft_path,
              driver.current_url)
        frames = driver.find_elements(By.CSS_SELECTOR, "iframe.preview")
        check("the preview is in sandboxed frames",
              frames and all(frame.get_attribute("sandbox") == "" for frame in frames),
              [frame.get_attribute("outerHTML") for frame in frames])
        preview = ""
        if frames:
            driver.switch_to.frame(frames[0])
            preview = driver.find_element(By.TAG_NAME, "body").text
            driver.switch_to.default_content()
        check("the HTML preview shows the email", scenario["preview_text"] in preview, preview[:600])

        if scenario.get("screenshot"):
            # The page down to the approve and reject forms: context, findings, subjects, preview.
            bottom = driver.execute_script(
                "const form = document.querySelector(arguments[0]);"
                " return form ? form.getBoundingClientRect().bottom + window.scrollY"
                " : document.documentElement.scrollHeight;",
                f"form[action='{draft_path}/approve']")
            driver.set_window_size(1280, min(max(int(bottom) + 200, 900), 3000))
            time.sleep(0.5)
            driver.save_screenshot(scenario["screenshot"])
            driver.set_window_size(1280, 1000)

        # A form without its CSRF token is refused: the reject form, reason filled, token removed.
        reject = forms(draft_path + "/reject")
        if check("the reviewer with the role has the reject form", reject):
            driver.find_element(By.CSS_SELECTOR, f"form[action='{draft_path}/reject'] textarea[name='reason']") \
                .send_keys("posted without its token")
            driver.execute_script(
                "arguments[0].querySelector(\"input[name='csrf']\").remove();", reject[0])
            reject[0].find_element(By.CSS_SELECTOR, "button[type='submit']").click()
            wait_for(lambda: urllib.parse.urlparse(driver.current_url).path == draft_path + "/reject")
            text = body_text()
            check("the form without its CSRF token is refused", "security token" in text, text[:600])
            driver.get(base + draft_path)
            check("the draft still waits after the refused post",
                  bool(forms(draft_path + "/approve")), driver.page_source[:500])

        # The approval.
        approve = forms(draft_path + "/approve")
        if check("the approve form is there", approve):
            approve[0].find_element(By.CSS_SELECTOR, "button[type='submit']").click()
            wait_for(lambda: urllib.parse.urlparse(driver.current_url).path == "/review")
            text = body_text()
            check("the approval is confirmed", "Approved" in text and "sent" in text, text[:600])

        # The experiments page draws its chart as inline SVG.
        driver.get(base + "/experiments")
        charts = driver.find_elements(By.CSS_SELECTOR, "svg.experiment-chart")
        dots = driver.find_elements(By.CSS_SELECTOR, "svg.experiment-chart circle")
        check("the experiments page shows its SVG chart", charts and dots,
              f"{len(charts)} charts, {len(dots)} dots")
        verdicts = driver.find_elements(By.CSS_SELECTOR, ".verdict")
        check("the experiments page gives a verdict", verdicts and "Verdict" in verdicts[0].text,
              verdicts[0].text if verdicts else driver.page_source[:500])

        # The audit timeline of the event, asked through its form, shows the approval.
        driver.get(base + "/audit")
        driver.find_element(By.ID, "audit-event").send_keys(event_id)
        driver.find_element(By.CSS_SELECTOR, "form[action='/audit'] button[type='submit']").click()
        approvals = driver.find_elements(By.CSS_SELECTOR, "tr[data-stage='review_approve']")
        check("the audit timeline shows the approval",
              approvals and ("by " + allowed["name"]) in approvals[0].text,
              approvals[0].text if approvals else body_text()[:600])
        outcomes = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "tr.record .outcome")]
        check("the timeline ends the event sent after queued_for_review",
              outcomes and outcomes[-1] == "sent" and "queued_for_review" in outcomes, outcomes)
    except Exception:  # noqa: BLE001 - reported as a failed check, with the page it was on
        check("the script ran to its end", False, traceback.format_exc() + "\nat " + driver.current_url)
    finally:
        driver.quit()

    print(json.dumps({"checks": checks}))
    return 0 if checks and all(item["ok"] for item in checks) else 1


def wait_for(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:  # noqa: BLE001 - the page may be between loads
            pass
        time.sleep(0.1)
    return False


if __name__ == "__main__":
    sys.exit(main())
