"""Debian's Chromium through Playwright, offline: no browser download, nothing leaves file://."""
from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright import sync_api

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
RENDERED = ("() => [...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('.main-svg'))"
            " && document.querySelectorAll('#chart-rpt_ward_overview path.choroplethlocation').length > 0")


@dataclass
class PageLog:
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def outside(self) -> list[str]:
        return [url for url in self.requests if not url.startswith("file://")]


@contextmanager
def offline_page(url: str, width: int = 1440):
    """A loaded page and the log of its requests and errors; any non-local request is refused."""
    with _page(url, PageLog(), r"^(?!file:|data:|blob:|about:)", CHROMIUM_ARGS, width, 900) as opened:
        yield opened



@dataclass
class ServedPageLog(PageLog):
    """A page served over loopback HTTP: anything but 127.0.0.1 counts as leaving the machine."""

    @property
    def outside(self) -> list[str]:
        return [url for url in self.requests
                if not re.match(r"^(https?://(127\.0\.0\.1|localhost)[:/]|data:|blob:|about:)", url)]


@contextmanager
def loopback_page(url: str, width: int = 1440, height: int = 900, webgl: bool = False):
    """A page of one of the deployment's own servers; every request off this machine is refused
    (and kept in the log, so a test can say none was made). ``webgl``: software WebGL (SwiftShader)
    for pages that draw with it, such as the MapLibre map."""
    args = ([a for a in CHROMIUM_ARGS if a != "--disable-gpu"]
            + ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
            if webgl else CHROMIUM_ARGS)
    with _page(url, ServedPageLog(), r"^(?!https?://(127\.0\.0\.1|localhost)[:/]|data:|blob:|about:)", args,
               width, height) as opened:
        yield opened


@contextmanager
def _page(url: str, log: PageLog, refused: str, args: list[str], width: int, height: int):
    """Chromium on ``url``: requests matching ``refused`` are aborted, every request, console error
    and page error kept in ``log``."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        context = browser.new_context(viewport={"width": width, "height": height})
        context.route(re.compile(refused), lambda route: route.abort())
        page = context.new_page()
        page.on("request", lambda request: log.requests.append(request.url))
        page.on("console", lambda msg: log.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: log.errors.append(str(exc)))
        page.goto(url, wait_until="load")
        try:
            yield page, log
        finally:
            browser.close()
