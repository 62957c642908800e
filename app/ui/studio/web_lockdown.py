"""What a preview page is denied from the inside, on top of the network ``web_setup`` shuts.

Three page-level layers, each useful should another one give way:

- A Content-Security-Policy. ``with_content_policy`` puts it in a ``<meta>`` ahead of
  everything in the page the parser acts on (only whitespace, comments, ``<?...>`` and the
  doctype come first, and none of them runs anything), so it governs the page's first script.
  The page cannot lift it: a later policy can only narrow what is allowed, removing the element
  changes nothing, ``document.open`` keeps it, and ``about:blank``, ``srcdoc`` and ``data:``
  frames inherit it. It allows what a generated page is made of (inline and ``data:``/``blob:``
  scripts, styles, images, fonts, media, frames) and nothing that talks: no ``fetch``, XHR,
  WebSocket, EventSource, ``sendBeacon`` or WebTransport (``connect-src``), no workers, no form
  submission, no ``<base>``, no plugins, no http(s) subresource of any kind. CSP does not
  govern ``<link rel=preconnect>`` or WebRTC at all; only the switches close those.
- A script that removes, before the page's own scripts run, the APIs a preview never needs and
  that open channels of their own: every ``RTC*`` interface (WebRTC), WebSocket, WebTransport,
  EventSource, workers, ``navigator.sendBeacon`` and ``navigator.serviceWorker``. It runs in
  every frame's document as it is created, except the first, empty document of a new frame,
  which Chromium makes without running it and which hands the APIs back. So the script also
  cleans every same-origin frame whenever the page reaches for one (``contentWindow``,
  ``contentDocument``) or inserts markup (the DOM insertion methods, ``innerHTML``,
  ``document.write``, and a MutationObserver for the parser). An insertion path it does not
  wrap (``Range.insertNode``, say) leaves a fresh frame's window reachable by index until the
  next microtask: this layer is a second lock behind the switches and the policy, which the
  tests show hold without it.
- A reporter, in a world of its own the page cannot reach, that turns each URL the policy
  refused into a console line ``SandboxedPage`` forwards as ``blocked``: the interceptor no
  longer sees what the policy stops first, and the studio lists both. A page can fake such a
  line, which is no more than asking for that URL itself.
"""

from __future__ import annotations

import json
import re

from PySide6.QtWebEngineCore import QWebEngineScript

# Sources a generated page is made of; nothing here opens a connection.
_LOCAL = "data: blob:"
CONTENT_POLICY = "; ".join(
    (
        "default-src 'none'",
        f"script-src 'unsafe-inline' 'unsafe-eval' {_LOCAL}",
        f"style-src 'unsafe-inline' {_LOCAL}",
        f"img-src {_LOCAL}",
        f"font-src {_LOCAL}",
        f"media-src {_LOCAL}",
        f"frame-src {_LOCAL}",
        "worker-src 'none'",
        "connect-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
        # From the CSP draft; Chromium 140 ignores it (measured), later engines may not.
        "webrtc 'block'",
    )
)
_POLICY_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">'

# What may precede the policy without running anything, tokenized the way the HTML parser
# does: whitespace, comments (which end at the first "-->" or "--!>", or at once as "<!-->"
# and "<!--->"), "<?...>" (a bogus comment, ending at its first ">") and a doctype (ending at
# its first ">" too).
_INERT_PREFIX = re.compile(
    r"(?:[\t\n\f\r ]|<!--(?:>|->|.*?--!?>)|<\?[^>]*>|<!doctype[^>]*>)*",
    re.IGNORECASE | re.DOTALL,
)


def with_content_policy(html: str) -> str:
    """``html`` with the preview's policy as the first element the parser acts on.

    Placed after the doctype, not before it, so that standards-mode pages stay in standards
    mode; the ``<html>`` attributes of the page still apply (the parser merges them in).
    """
    html = html.removeprefix("\ufeff")
    end = _INERT_PREFIX.match(html).end()  # type: ignore[union-attr]  # matches "" at worst
    return html[:end] + _POLICY_META + html[end:]


API_REMOVAL_NAME = "pixtral-desk-api-removal"
BLOCKED_MARKER = "pixtral-desk-blocked "

_API_REMOVAL_JS = r"""
(() => {
  const GONE = ["WebSocket", "WebSocketStream", "WebTransport", "EventSource", "Worker",
                "SharedWorker", "ServiceWorker", "ServiceWorkerContainer"];
  const FRAMES = ["HTMLIFrameElement", "HTMLFrameElement", "HTMLObjectElement"];
  const INSERTING = {
    Node: ["appendChild", "insertBefore", "replaceChild"],
    Element: ["append", "prepend", "before", "after", "replaceWith", "replaceChildren",
              "insertAdjacentElement", "insertAdjacentHTML", "setHTMLUnsafe"],
    Document: ["append", "prepend", "replaceChildren", "write", "writeln"],
    DocumentFragment: ["append", "prepend", "replaceChildren"],
    ShadowRoot: ["setHTMLUnsafe"],
  };
  const cleaned = new WeakSet();
  const everyFrame = () => sweep(window);
  function sweep(win) {
    try {
      if (!cleaned.has(win)) { cleaned.add(win); strip(win); }
      for (let i = 0; i < win.length; i++) sweep(win[i]);
    } catch (e) { /* another origin: its documents run their own copy of this script */ }
  }
  function after(proto, name, kind) {
    const found = proto && Object.getOwnPropertyDescriptor(proto, name);
    if (!found || !found[kind]) return;
    const original = found[kind];
    found[kind] = { [name](...args) {
      try { return original.apply(this, args); } finally { everyFrame(); }
    } }[name];
    Object.defineProperty(proto, name, found);
  }
  function strip(win) {
    for (const name of Object.getOwnPropertyNames(win)) {
      if (/^(webkit)?RTC/.test(name) || GONE.includes(name)) delete win[name];
    }
    delete win.Navigator.prototype.sendBeacon;
    delete win.Navigator.prototype.serviceWorker;
    for (const type of FRAMES) {
      after(win[type].prototype, "contentWindow", "get");
      after(win[type].prototype, "contentDocument", "get");
    }
    for (const [type, names] of Object.entries(INSERTING)) {
      for (const name of names) after(win[type] && win[type].prototype, name, "value");
    }
    for (const type of ["Element", "ShadowRoot"]) {
      after(win[type].prototype, "innerHTML", "set");
      after(win[type].prototype, "outerHTML", "set");
    }
    new win.MutationObserver(everyFrame).observe(win.document, {childList: true, subtree: true});
  }
  sweep(window);
})();
"""

_REPORTER_JS = f"""
addEventListener("securitypolicyviolation", (event) => {{
  if (event.isTrusted) console.info({json.dumps(BLOCKED_MARKER)} + event.blockedURI);
}}, true);
"""


def _document_script(name: str, source: str, world: int) -> QWebEngineScript:
    script = QWebEngineScript()
    script.setName(name)
    script.setSourceCode(source)
    script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    script.setWorldId(world)
    script.setRunsOnSubFrames(True)
    return script


def page_scripts() -> list[QWebEngineScript]:
    """The API removal (in the page's own world, where its scripts look) and the reporter."""
    return [
        _document_script(
            API_REMOVAL_NAME, _API_REMOVAL_JS, QWebEngineScript.ScriptWorldId.MainWorld
        ),
        _document_script(
            "pixtral-desk-blocked-reporter",
            _REPORTER_JS,
            QWebEngineScript.ScriptWorldId.ApplicationWorld,
        ),
    ]
