"""The preview's sandbox: a generated page runs its scripts but reaches no network and no file.

A real loopback HTTP server counts every request it receives; the pages try every way out we
know of (subresources, fetch, XHR, WebSocket, beacons, forms, navigation, popups, file URLs).
"""

from __future__ import annotations

import http.server
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtGui import QColor

from app.ui.web_sandbox import SandboxedView


@dataclass
class Witness:
    """A loopback server that records what reached it."""

    port: int
    paths: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def witness() -> Iterator[Witness]:
    record = Witness(0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.paths.append(self.path)
            self.send_response(200)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(b"leaked")

        do_POST = do_GET

        def log_message(self, *_args: object) -> None:
            pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    record.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield record
    server.shutdown()
    server.server_close()


def _load(qtbot, view: SandboxedView, html: str) -> None:
    with qtbot.waitSignal(view.rendered, timeout=20_000):
        assert view.show_html(html)


def _wait_title(qtbot, view: SandboxedView, prefix: str) -> str:
    qtbot.waitUntil(lambda: view.title().startswith(prefix), timeout=20_000)
    return view.title()


ESCAPES = """
<img src="{base}/img.png">
<link rel="stylesheet" href="{base}/style.css">
<script src="{base}/script.js"></script>
<iframe src="{base}/frame.html"></iframe>
<div style="background:url('{base}/css-bg.png')">x</div>
<script>
const seen = [];
const note = (what) => seen.push(what);
fetch("{base}/fetch").then(r => r.text()).then(t => note("fetch:" + t), () => note("fetch:no"));
const xhr = new XMLHttpRequest();
xhr.onload = () => note("xhr:" + xhr.responseText);
xhr.onerror = () => note("xhr:no");
xhr.open("GET", "{base}/xhr"); xhr.send();
try {{
  const ws = new WebSocket("ws://127.0.0.1:{port}/ws");
  ws.onopen = () => note("ws:open"); ws.onerror = () => note("ws:no");
}} catch (e) {{ note("ws:no"); }}
try {{ navigator.sendBeacon("{base}/beacon", "x"); }} catch (e) {{}}
const popup = window.open("{base}/popup");
note(popup ? "popup:open" : "popup:no");
setTimeout(() => {{ document.title = "done " + seen.sort().join(" "); }}, 1500);
</script>
"""


def test_page_reaches_no_loopback_server(qtbot, witness: Witness) -> None:
    view = SandboxedView()
    qtbot.addWidget(view)
    blocked: list[str] = []
    view.blocked.connect(blocked.append)
    _load(qtbot, view, ESCAPES.format(base=witness.base, port=witness.port))
    title = _wait_title(qtbot, view, "done")
    assert title == "done fetch:no popup:no ws:no xhr:no"
    qtbot.wait(300)
    assert witness.paths == []
    for path in ("/img.png", "/style.css", "/script.js", "/frame.html", "/fetch", "/xhr"):
        assert witness.base + path in blocked


def test_navigation_and_forms_stay_on_the_page(qtbot, witness: Witness) -> None:
    view = SandboxedView()
    qtbot.addWidget(view)
    html = f"""
    <form id="f" action="{witness.base}/form" method="post"><input name="a" value="1"></form>
    <a id="link" href="{witness.base}/link">link</a>
    <script>
    document.title = "start";
    setTimeout(() => document.getElementById("link").click(), 100);
    setTimeout(() => document.getElementById("f").submit(), 300);
    setTimeout(() => {{ location.href = "{witness.base}/nav"; }}, 500);
    setTimeout(() => {{ document.title = "still here"; }}, 1200);
    </script>"""
    _load(qtbot, view, html)
    _wait_title(qtbot, view, "still here")
    qtbot.wait(300)
    assert witness.paths == []
    assert view.url().scheme() == "data"


def test_page_reads_no_files(qtbot) -> None:
    view = SandboxedView()
    qtbot.addWidget(view)
    html = """
    <iframe id="frame" src="file:///etc/passwd"></iframe>
    <script>
    const seen = [];
    fetch("file:///etc/passwd").then(r => r.text())
      .then(t => seen.push("fetch:" + t.slice(0, 8)), () => seen.push("fetch:no"));
    const xhr = new XMLHttpRequest();
    try {
      xhr.open("GET", "file:///etc/passwd");
      xhr.onload = () => seen.push("xhr:" + xhr.responseText.slice(0, 8));
      xhr.onerror = () => seen.push("xhr:no");
      xhr.send();
    } catch (e) { seen.push("xhr:no"); }
    setTimeout(() => {
      let frame = "frame:no";
      try {
        const text = document.getElementById("frame").contentDocument.body.innerText;
        if (text) frame = "frame:" + text.slice(0, 8);
      } catch (e) {}
      seen.push(frame);
      document.title = "done " + seen.sort().join(" ");
    }, 1000);
    </script>"""
    _load(qtbot, view, html)
    assert _wait_title(qtbot, view, "done") == "done fetch:no frame:no xhr:no"
    text: list[str] = []
    view.page().toPlainText(text.append)
    qtbot.waitUntil(lambda: bool(text), timeout=5000)
    assert "root:" not in text[0]


def test_scripts_run_and_the_page_renders(qtbot) -> None:
    view = SandboxedView()
    qtbot.addWidget(view)
    view.resize(200, 120)
    view.show()
    html = """<body style="margin:0"><script>
    document.body.style.background = "rgb(20, 160, 90)";
    document.title = "scripted";
    </script></body>"""
    _load(qtbot, view, html)
    _wait_title(qtbot, view, "scripted")
    qtbot.waitUntil(
        lambda: view.grab().toImage().pixelColor(100, 60) == QColor(20, 160, 90), timeout=10_000
    )


def test_oversized_page_is_refused() -> None:
    view = SandboxedView()
    assert not view.show_html("<p>" + "x" * (3 * 1024 * 1024))
    view.deleteLater()
