"""Headless Chromium for the report tests: console messages, screenshots, and in-page checks.

Two loads per page. The report as written (its Content-Security-Policy on) gives the console
log (`--enable-logging=stderr`: every console message and CSP violation is a `CONSOLE` line) and
a screenshot of the whole page (the window as tall as the page, up to MAX_HEIGHT, so figures
and payload rows far down are in it). A copy without the CSP, with a probe script first in
<head>, gives the page's own view of itself through `--dump-dom` (loaded first, for the page's
height): failed loads, images' sizes, tables' widths, and whether any payload ran. Without the
CSP a payload that escaped the HTML escaping would run and be caught.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

WIDTH, HEIGHT = 1280, 900
MAX_HEIGHT = 16_000  # a screenshot taller than this is cut (Chromium's texture limit is 16,384)
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  window.__errors.push(t && t !== window ? 'load failed: ' + (t.src || t.href || t.tagName)
                                         : 'error: ' + e.message);
}, true);
var origError = console.error;
console.error = function () {
  window.__errors.push('console.error: ' + [].join.call(arguments, ' '));
  origError.apply(console, arguments);
};
window.addEventListener('load', function () {
  var width = document.documentElement.clientWidth;
  var images = [].map.call(document.images, function (img) {
    return {src: img.src.slice(0, 40), complete: img.complete, width: img.naturalWidth};
  });
  var tables = [].map.call(document.querySelectorAll('table'), function (t) {
    var box = t.getBoundingClientRect();
    var scroller = t.parentElement;
    while (scroller && getComputedStyle(scroller).overflowX === 'visible') {
      scroller = scroller.parentElement;
    }
    var root = document.documentElement;
    var inScroller = scroller && scroller !== document.body && scroller !== root;
    return {right: Math.round(box.right), width: Math.round(box.width), scrolls: !!inScroller};
  });
  var out = document.createElement('pre');
  out.id = 'langgap-probe';
  out.textContent = JSON.stringify({errors: window.__errors, images: images, tables: tables,
    viewport: width, page_width: document.documentElement.scrollWidth,
    page_height: document.documentElement.scrollHeight,
    pwned: window.__pwned || null, text: document.body.innerText});
  document.body.appendChild(out);
});
</script>"""


@dataclass
class PageReport:
    console: list[str]  # CONSOLE lines from the page as written
    errors: list[str]
    images: list[dict[str, Any]]
    tables: list[dict[str, Any]]
    viewport: int
    page_width: int
    page_height: int
    pwned: object
    text: str


def chromium() -> str:
    """The Chromium binary, or a skip saying how to get one."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no chromium binary found (install it: apt-get install -y chromium)")


def _run(binary: str, *args: str, height: int = HEIGHT) -> subprocess.CompletedProcess[str]:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-dev-shm-usage", f"--window-size={WIDTH},{height}", *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def open_page(html: Path, screenshot: Path) -> PageReport:
    """Load html twice in headless Chromium (see the module docstring) and report."""
    binary = chromium()
    text = html.read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text, count=1)
    probe = html.with_name(html.stem + ".probe.html")
    probe.write_text(text.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    dumped = _run(binary, "--virtual-time-budget=3000", "--dump-dom", probe.resolve().as_uri())
    found = re.search(r'<pre id="langgap-probe">(.*?)</pre>', dumped.stdout, re.S)
    assert found, f"the probe did not report: {dumped.stderr[-2000:]}"
    data = json.loads(_unescape(found.group(1)))
    # the page's height is known now: the screenshot's window is that tall, so nothing is cut
    tall = min(max(HEIGHT, int(data["page_height"])), MAX_HEIGHT)
    shown = _run(binary, "--enable-logging=stderr", "--v=0", f"--screenshot={screenshot}",
                 "--virtual-time-budget=3000", html.resolve().as_uri(), height=tall)  # fmt: skip
    console = [line for line in shown.stderr.splitlines() if "CONSOLE" in line]
    return PageReport(console=console, **data)


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height in pixels, from its IHDR header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )
