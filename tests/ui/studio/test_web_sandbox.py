"""The preview's sandbox: a generated page runs its scripts but reaches no network and no file.

Witnesses listen on TCP and UDP, on loopback and on the machine's own address, and record every
connection and datagram they get. The pages try every way out we know of: subresources,
fetch, XHR, beacons, forms, navigation, popups, file URLs, and the channels Chromium opens
outside the request interceptor (preconnect, WebRTC's STUN and TURN, workers...). The leak test
runs the page as shipped, without the script that removes network APIs, and with the network
switches alone (no policy, no removal), so each claim in ``web_setup`` stands on its own.
"""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor

from app.ui.studio.web_lockdown import API_REMOVAL_NAME, with_content_policy
from app.ui.studio.web_sandbox import SandboxedView


def _own_address() -> str | None:
    """The machine's non-loopback IPv4 address (a UDP connect sends nothing), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            try:
                address = socket.gethostbyname(socket.gethostname())
            except OSError:
                return None
    return None if address.startswith(("127.", "0.")) else address


@dataclass
class Witness:
    """TCP and UDP listeners on one port at every address in ``hosts``; ``heard`` says what
    reached them (each connection, each read, each datagram)."""

    hosts: tuple[str, ...]
    port: int = 0
    heard: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _bind_everywhere(hosts: tuple[str, ...]) -> tuple[int, list[socket.socket]]:
    """One free port, bound for TCP and UDP on every host (retried when a half is taken)."""
    for _ in range(50):
        sockets: list[socket.socket] = []
        try:
            port = 0
            for host in hosts:
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    sock = socket.socket(socket.AF_INET, kind)
                    sockets.append(sock)
                    sock.bind((host, port))
                    port = sock.getsockname()[1]
            return port, sockets
        except OSError:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no port free for TCP and UDP on every address")


@pytest.fixture
def witness() -> Iterator[Witness]:
    own = _own_address()
    record = Witness(("127.0.0.1", own) if own else ("127.0.0.1",))
    record.port, sockets = _bind_everywhere(record.hosts)
    selector = selectors.DefaultSelector()
    for sock in sockets:
        if sock.type == socket.SOCK_STREAM:
            sock.listen(64)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, sock.getsockname()[0])
    stop_reader, stop_writer = socket.socketpair()
    selector.register(stop_reader, selectors.EVENT_READ, None)

    def listen() -> None:
        while True:
            for key, _ in selector.select():
                sock, host = key.fileobj, key.data
                if host is None:
                    return
                where = f"{host}:{record.port}"
                if sock.type == socket.SOCK_DGRAM:
                    record.heard.append(f"udp {where}: {len(sock.recv(65536))} bytes")
                elif sock in sockets:
                    connection, _peer = sock.accept()
                    connection.setblocking(False)
                    selector.register(connection, selectors.EVENT_READ, host)
                    record.heard.append(f"tcp {where}: connection")
                else:
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    if data:
                        record.heard.append(f"tcp {where}: {len(data)} bytes")
                    else:
                        selector.unregister(sock)
                        sock.close()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    yield record
    stop_writer.send(b"x")
    thread.join(5)
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    stop_writer.close()
    selector.close()


PROBE = b"probe"


def _heard_from_the_page(qtbot, witness: Witness) -> list[str]:
    """What reached the witness other than our own probes, once it is sure to have been read.

    A fixed wait proves nothing on a busy machine (the listener may not have run yet). Instead
    the test sends a TCP connection with 5 bytes and a UDP datagram to every witness address
    and waits until the listener has recorded them: sockets queue in order, so whatever reached
    a witness before the probes has been recorded by then."""
    probes: list[str] = []
    for host in witness.hosts:
        with socket.create_connection((host, witness.port), timeout=5) as tcp:
            tcp.sendall(PROBE)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(PROBE, (host, witness.port))
        where = f"{host}:{witness.port}"
        probes += [f"tcp {where}: connection", f"tcp {where}: 5 bytes", f"udp {where}: 5 bytes"]

    def all_probes_heard() -> bool:
        heard = list(witness.heard)
        return all(heard.count(line) >= probes.count(line) for line in probes)

    qtbot.waitUntil(all_probes_heard, timeout=10_000)
    rest = list(witness.heard)
    for line in probes:
        rest.remove(line)
    return rest


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
    assert _heard_from_the_page(qtbot, witness) == []
    # The policy refuses these before the interceptor would; both report what they refused.
    for path in ("/img.png", "/style.css", "/script.js", "/fetch", "/xhr"):
        assert witness.base + path in blocked
    assert witness.base in blocked  # the frame, which the policy reports by its origin


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
    assert _heard_from_the_page(qtbot, witness) == []
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
    """What a generated page is made of gets past the policy: inline styles and scripts and
    ``data:`` images."""
    view = SandboxedView()
    qtbot.addWidget(view)
    view.resize(200, 120)
    view.show()
    image = (
        "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='200' height='40'%3E"
        "%3Crect width='200' height='40' fill='rgb(200,40,40)'/%3E%3C/svg%3E"
    )
    html = f"""<!DOCTYPE html><style>body {{ margin: 0 }} img {{ display: block }}</style>
    <body><img src="{image}"><script>
    document.body.style.background = "rgb(20, 160, 90)";
    document.title = "scripted";
    </script></body>"""
    _load(qtbot, view, html)
    _wait_title(qtbot, view, "scripted")

    def painted() -> bool:
        shot = view.grab().toImage()
        return (shot.pixelColor(100, 20), shot.pixelColor(100, 80)) == (
            QColor(200, 40, 40),
            QColor(20, 160, 90),
        )

    qtbot.waitUntil(painted, timeout=10_000)


def test_oversized_page_is_refused() -> None:
    view = SandboxedView()
    assert not view.show_html("<p>" + "x" * (3 * 1024 * 1024))
    view.deleteLater()


def _channels(host: str, port: int, n: int) -> tuple[str, str]:
    """Markup and script that try every channel we know of towards ``host:port``."""
    base = f"http://{host}:{port}"
    markup = f"""
    <link rel="preconnect" href="{base}/"><link rel="dns-prefetch" href="{base}/">
    <link rel="prefetch" href="{base}/prefetch"><link rel="prerender" href="{base}/prerender">
    <link rel="modulepreload" href="{base}/module.js">
    <link rel="preload" as="script" href="{base}/preload.js">
    <script type="speculationrules">{{"prefetch": [{{"source": "list", "urls": ["{base}/sp"]}}],
      "prerender": [{{"source": "list", "urls": ["{base}/sr"]}}]}}</script>
    <video src="{base}/video.mp4"></video><object data="{base}/object"></object>
    <a id="ping{n}" ping="{base}/ping" href="#here">ping</a>
    <iframe name="sink{n}"></iframe>
    <form id="form{n}" action="{base}/form" method="post" target="sink{n}">
      <input name="a" value="1"></form>
    <iframe id="nav{n}" srcdoc="<p>frame</p>"></iframe>
    <iframe srcdoc="<meta http-equiv='refresh' content='0;url={base}/refresh'>"></iframe>"""
    ice = f"""[{{urls: ["stun:{host}:{port}"]}}, {{urls: ["turn:{host}:{port}?transport=udp",
      "turn:{host}:{port}?transport=tcp", "turns:{host}:{port}?transport=tcp"],
      username: "u", credential: "c"}}]"""
    in_worker = (
        f'fetch("{base}/worker-fetch"); new WebSocket("ws://{host}:{port}/worker-ws");'
        f' new EventSource("{base}/worker-es"); importScripts("{base}/worker-import.js");'
        f" new RTCPeerConnection({{iceServers: {ice}}});"
    )
    script = f"""
    attempt(() => fetch("{base}/keepalive", {{method: "POST", body: "x", keepalive: true}}));
    attempt(() => new WebSocket("ws://{host}:{port}/ws"));
    attempt(() => new WebTransport("https://{host}:{port}/wt").ready.catch(() => {{}}));
    attempt(() => new EventSource("{base}/events"));
    attempt(() => navigator.sendBeacon("{base}/beacon", "x"));
    attempt(() => import("{base}/import.js").catch(() => {{}}));
    attempt(() => document.getElementById("ping{n}").click());
    attempt(() => document.getElementById("form{n}").submit());
    attempt(() => {{ document.getElementById("nav{n}").contentWindow.location = "{base}/nav"; }});
    attempt(() => peer(window.RTCPeerConnection, {ice}));
    attempt(() => peer(freshFrame().contentWindow.RTCPeerConnection, {ice}));
    attempt(() => {{ freshFrame(); peer(window[window.length - 1].RTCPeerConnection, {ice}); }});
    const job{n} = {in_worker!r};
    attempt(() => new Worker(URL.createObjectURL(new Blob([job{n}]))));
    attempt(() => new Worker("data:text/javascript," + encodeURIComponent(job{n})));
    attempt(() => new SharedWorker(URL.createObjectURL(new Blob([job{n}]))));
    attempt(() => navigator.serviceWorker.register("{base}/sw.js").catch(() => {{}}));"""
    return markup, script


LEAK_PAGE = """<!DOCTYPE html><html><head>
<meta http-equiv="refresh" content="1;url={base}/refresh">{markup}</head><body><script>
const attempt = (run) => {{ try {{ run(); }} catch (e) {{}} }};
const peer = (Peer, iceServers) => {{
  const connection = new Peer({{iceServers}});
  connection.createDataChannel("x");
  connection.createOffer().then((offer) => connection.setLocalDescription(offer));
  window.peers = [...(window.peers || []), connection];
}};
const freshFrame = () => document.body.appendChild(document.createElement("iframe"));
{script}
setTimeout(() => {{ document.title = "done"; }}, 2500);  // ICE gathering takes 1-2 s
</script></body></html>"""


@pytest.mark.parametrize("layers", ["as shipped", "without API removal", "switches alone"])
def test_no_channel_reaches_any_witness(qtbot, witness: Witness, layers: str) -> None:
    """Preconnect, prefetch, WebRTC (STUN, TURN over UDP/TCP/TLS, from fresh frames too),
    WebSocket, EventSource, beacons, workers, pings, forms, frame navigation and meta refresh,
    at loopback, the machine's own address and ``localhost``: nothing arrives anywhere."""
    view = SandboxedView()
    qtbot.addWidget(view)
    if layers != "as shipped":
        view.page().scripts().remove(view.page().scripts().find(API_REMOVAL_NAME)[0])
    parts = [_channels(h, witness.port, n) for n, h in enumerate((*witness.hosts, "localhost"))]
    html = LEAK_PAGE.format(
        base=witness.base,
        markup="".join(markup for markup, _ in parts),
        script="".join(script for _, script in parts),
    )
    with qtbot.waitSignal(view.rendered, timeout=20_000):
        if layers == "switches alone":
            view.setHtml(html, QUrl())  # no policy either
        else:
            view.show_html(html)
    _wait_title(qtbot, view, "done")
    assert _heard_from_the_page(qtbot, witness) == []
    assert view.url().scheme() == "data"


def test_policy_is_placed_before_anything_that_runs() -> None:
    """Only what runs nothing may precede it; where a comment ends is the HTML parser's rule."""
    meta = '<meta http-equiv="Content-Security-Policy"'
    cases = {
        "<!DOCTYPE html><html>": "<!DOCTYPE html>",
        "\ufeff \n<!doctype html>\n<p>": " \n<!doctype html>\n",
        "<?xml?><!-- a --><!DOCTYPE html><p>": "<?xml?><!-- a --><!DOCTYPE html>",
        "<!--><script>": "<!-->",  # an abrupt comment ends at once, as the parser sees it
        "<!-- a --!><script>--><p>": "<!-- a --!>",
        "<script>": "",
    }
    for html, prefix in cases.items():
        assert with_content_policy(html).startswith(prefix + meta), html


POLICY_PROBE = (
    'fetch("data:,x").then(() => "open", () => "refused").then((fetched) => { document.title ='
    ' ["done", fetched, document.compatMode, document.documentElement.lang].join(" "); });'
)
LAX_POLICY = '<meta http-equiv="Content-Security-Policy" content="connect-src *">'
FRAME_PROBE = quote(
    '<script>fetch("data:,x").then(() => "open", () => "refused")'
    '.then((fetched) => parent.postMessage(fetched + " in a data: frame", "*"));</script>'
)
# Ways a page might try to run before the policy, or to lift it.
POLICY_PAGES = {
    "own lax policy": f'<!DOCTYPE html><html lang="en"><head>{LAX_POLICY}'
    f"<script>{POLICY_PROBE}</script>",
    "abrupt comment": f"<!--><script>{POLICY_PROBE}</script>-->",
    "policy removed": '<!DOCTYPE html><script>document.querySelectorAll("meta")'
    f".forEach((meta) => meta.remove());{POLICY_PROBE}</script>",
    "document rewritten": '<script>document.open(); document.write(\'<html lang="en">'
    f"{LAX_POLICY}<script>{POLICY_PROBE}<' + '/script>'); document.close();</script>",
    "data: frame": f'<iframe src="data:text/html,{FRAME_PROBE}"></iframe><script>'
    'addEventListener("message", (event) => { document.title = "done " + event.data; });</script>',
}


def test_the_policy_holds_from_the_first_script(qtbot) -> None:
    """The policy governs a page's first script, whatever comes before it, and the page cannot
    lift it; the doctype and ``<html>`` attributes still apply (no quirks mode)."""
    view = SandboxedView()
    qtbot.addWidget(view)
    titles = {}
    for name, html in POLICY_PAGES.items():
        _load(qtbot, view, html)
        titles[name] = _wait_title(qtbot, view, "done")
    assert titles == {
        "own lax policy": "done refused CSS1Compat en",
        "abrupt comment": "done refused BackCompat",
        "policy removed": "done refused CSS1Compat",
        "document rewritten": "done refused BackCompat en",
        "data: frame": "done refused in a data: frame",
    }


def test_network_apis_are_gone_in_every_frame(qtbot) -> None:
    """Frames the page makes hand back no WebRTC, WebSocket, EventSource, workers or beacons,
    however it reaches their windows."""
    view = SandboxedView()
    qtbot.addWidget(view)
    html = """<body><iframe></iframe><script>
    const names = ["RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel",
      "WebSocket", "EventSource", "Worker", "SharedWorker"];
    const left = (win) => names.filter((name) => name in win)
      .concat("sendBeacon" in win.navigator ? ["sendBeacon"] : []).join(",") || "none";
    const found = [left(window), left(window[0])];  // parser-inserted frame
    const made = document.createElement("iframe");
    document.body.appendChild(made);
    found.push(left(window[1]), left(made.contentWindow));
    document.body.insertAdjacentHTML("beforeend", "<iframe></iframe>");
    found.push(left(window[2]));
    const srcdoc = document.createElement("iframe");
    srcdoc.srcdoc = "<p>later</p>";
    srcdoc.onload = () => {
      found.push(left(srcdoc.contentWindow));
      document.title = "done " + found.join(" ");
    };
    document.body.append(srcdoc);
    </script></body>"""
    _load(qtbot, view, html)
    assert _wait_title(qtbot, view, "done") == "done " + " ".join(["none"] * 6)
