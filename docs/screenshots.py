"""Screenshots for the README: the example month's newsletter at desktop and phone widths and its post on a
phone, the same for a month written in Arabic (right to left), the preview, the share card as social sites
crop it, and the archive's index page.

Run from the repository:  python docs/screenshots.py   (needs Chromium: Debian's `chromium` package;
the preview's, share card's and index page's need Playwright too: pip install -e '.[test]')

The newsletter's picture and the index page's images live beside the published posts, which are not on
the web: the screenshots show the very files `monthlypost build` wrote in their place. Everything else is
what `monthlypost build` writes.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIDTHS = {"desktop": 680, "phone": 375}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--force-device-scale-factor=1",
]
STAND_IN = """<svg xmlns="http://www.w3.org/2000/svg" width="480" height="360" viewBox="0 0 480 360">
<rect width="480" height="360" fill="#000"/><rect y="45" width="480" height="270" fill="#3b4a57"/>
<circle cx="240" cy="180" r="38" fill="#e62117"/><path d="M228 160 L258 180 L228 200 Z" fill="#fff"/>
<text x="240" y="292" fill="#c9d3dc" font-family="Helvetica, Arial" font-size="16" text-anchor="middle">
video thumbnail (stand-in)</text></svg>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    sys.exit("Chromium is needed: apt-get install chromium")


def framed(html: str, width: int, height: int | None = None) -> str:
    """The email in an iframe exactly ``width`` wide: headless Chromium's window is never under 500 px,
    so the frame, not the window, sets the phone's width. The frame reports its content's height."""
    size = f"width:{width}px;height:{height}px" if height else f"width:{width}px"
    report = "document.body.dataset.height = this.contentDocument.documentElement.scrollHeight"
    return (
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe srcdoc="{escape(html, quote=True)}" style="{size};border:0;display:block" onload="{report}">'
        "</iframe></body></html>"
    )


def page_height(browser: str, html: str, width: int, workspace: Path) -> int:
    probe = workspace / f"probe-{width}.html"
    probe.write_text(framed(html, width))
    dom = subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={workspace / 'profile'}",
            "--window-size=800,800",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(re.search(r'data-height="(\d+)"', dom).group(1))


def main() -> None:
    browser = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        shutil.copy(REPO / "monthlypost.toml", workspace)
        shutil.copytree(REPO / "campaigns", workspace / "campaigns")
        subprocess.run([sys.executable, "-m", "monthlypost", "build", "2024-04"], cwd=workspace, check=True)
        newsletter_shots(browser, workspace / "dist/2024-04", "newsletter")
        arabic = workspace / "arabic"  # the same at the other end of the line: a month written right to left
        shutil.copytree(REPO / "tests/workspaces/arabic", arabic)
        subprocess.run([sys.executable, "-m", "monthlypost", "build", "2024-06"], cwd=arabic, check=True)
        newsletter_shots(browser, arabic / "dist/2024-06", "newsletter-ar")
        post_shots(
            browser, {"post-phone.png": workspace / "dist/2024-04", "post-ar-phone.png": arabic / "dist/2024-06"}
        )
        preview_shot(workspace, browser)
        index_shot(workspace, browser)


def newsletter_shots(browser: str, month: Path, prefix: str) -> None:
    """A month's newsletter.html at desktop and phone widths: PREFIX-desktop.png, PREFIX-phone.png."""
    html = (month / "newsletter.html").read_text()
    picture = (month / "email.jpg").read_bytes()
    html = re.sub(r"https://[^\"]+/email\.jpg", "data:image/jpeg;base64," + base64.b64encode(picture).decode(), html)
    workspace = month.parent.parent
    for kind, width in WIDTHS.items():
        height = page_height(browser, html, width, workspace)
        page = workspace / f"shot-{width}.html"
        page.write_text(framed(html, width, height))
        target = REPO / "docs" / f"{prefix}-{kind}.png"
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={workspace / 'profile'}",
                f"--window-size={width},{height}",
                f"--screenshot={target}",
                page.as_uri(),
            ],
            capture_output=True,
            check=True,
        )
        print(f"wrote {target.relative_to(REPO)} ({width}×{height})")


def post_shots(browser: str, months: dict[str, Path]) -> None:
    """Each month's post.html on a phone, its first screenful and a half (the video's player, which needs
    YouTube, shows as the black box it is before it loads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        flags = [flag for flag in CHROMIUM_FLAGS if flag != "--headless"]
        chrome = playwright.chromium.launch(executable_path=browser, args=flags)
        for name, month in months.items():
            page = chrome.new_page(viewport={"width": 375, "height": 1100})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto((month / "post.html").as_uri())
            target = REPO / "docs" / name
            page.screenshot(path=str(target))
            page.close()
            print(f"wrote {target.relative_to(REPO)} (375×1100)")
        chrome.close()


def index_shot(workspace: Path, browser: str) -> None:
    """The archive's index.html of three months, the images served from the month folders beside it."""
    from playwright.sync_api import sync_playwright

    for month, title in (("2024-05", "Knee Pain on the Stairs"), ("2024-06", "Neck Pain at the Desk")):
        shutil.copytree(workspace / "campaigns/2024-04", workspace / "campaigns" / month)
        topic = workspace / "campaigns" / month / "topic.toml"
        text = re.sub(r'(?m)^title = ".*"$', f'title = "{title}"', topic.read_text())
        topic.write_text(re.sub(r"(?m)^publish_date = .*$", "", text))
    subprocess.run([sys.executable, "-m", "monthlypost", "build", "--all"], cwd=workspace, check=True)
    dist = workspace / "dist"
    target = REPO / "docs/index-page.png"

    def local(route) -> None:  # noqa: ANN001
        name = route.request.url.rsplit("/", 1)[-1]
        found = sorted(dist.glob(f"*/{name}"))
        if route.request.url.startswith("file:"):
            route.continue_()
        elif found:  # the month whose post is where the image is asked for
            canonical = f'rel="canonical" href="{route.request.url.rsplit("/", 1)[0]}/"'
            match = [p for p in found if canonical in (p.parent / "post.html").read_text()]
            route.fulfill(path=str((match or found)[0]))
        else:
            route.abort()

    with sync_playwright() as playwright:
        flags = [flag for flag in CHROMIUM_FLAGS if flag != "--headless"]
        chrome = playwright.chromium.launch(executable_path=browser, args=flags)
        page = chrome.new_page(viewport={"width": 1100, "height": 760})
        page.route("**/*", local)
        page.goto((dist / "index.html").as_uri())
        page.wait_for_function("[...document.images].every(i => i.complete)")
        page.screenshot(path=str(target))
        chrome.close()
    print(f"wrote {target.relative_to(REPO)} (1100×760)")


def preview_shot(workspace: Path, browser: str) -> None:
    """`monthlypost preview` on the email, as a browser shows it; and its share card tab."""
    from playwright.sync_api import sync_playwright

    from monthlypost.preview import Preview
    from monthlypost.preview.server import start

    preview = Preview(workspace, "2024-04")
    server = start(preview, 8600)
    target = REPO / "docs/preview.png"
    try:
        with sync_playwright() as playwright:
            flags = [flag for flag in CHROMIUM_FLAGS if flag != "--headless"]
            chrome = playwright.chromium.launch(executable_path=browser, args=flags)
            page = chrome.new_page(viewport={"width": 1280, "height": 900})
            page.route(
                "https://i.ytimg.com/**", lambda route: route.fulfill(body=STAND_IN, content_type="image/svg+xml")
            )
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/#email")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(target))
            page.click("[data-tab=share]")
            page.wait_for_function("[...document.querySelectorAll('.card img')].every(i => i.complete)")
            cards = REPO / "docs/share-card.png"
            page.locator("#panel-share").screenshot(path=str(cards))
            print(f"wrote {cards.relative_to(REPO)}")
            chrome.close()
    finally:
        preview.stop()
        server.shutdown()
        server.server_close()
    print(f"wrote {target.relative_to(REPO)} (1280×900)")


if __name__ == "__main__":
    main()
