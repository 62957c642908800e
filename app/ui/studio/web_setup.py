"""What Qt WebEngine needs before the QApplication exists, kept apart so start-up stays light.

The HTML preview imports QtWebEngine lazily, the first time the studio opens; Qt allows that
only when OpenGL contexts are shared from the start, so this runs before the app is created
(``app.main`` and the tests' ``conftest``). It imports nothing from WebEngine itself.

QtWebEngine serves the preview and nothing else (chat traffic goes through httpx), so its
network is shut for the whole process here, with Chromium switches. The preview's request
interceptor never sees some of Chromium's channels: a ``<link rel=preconnect>`` opens a TCP
connection of its own, WebRTC sends STUN over UDP and TURN over TCP or TLS from its own
sockets, and resolving a TURN server's name sends a DNS query. The switches close them all,
TCP with two locks:

- TCP, whatever opens it (page loads, preconnect, WebSocket, WebRTC's TURN over TCP and TLS):
  every connection goes through a proxy at ``127.0.0.1:0``, a port nothing can listen on, with
  loopback not exempted (Chromium sends loopback directly otherwise); and no host name or
  address resolves, so not even the proxy is reached. Either lock alone stops every TCP
  connection the tests try.
- DNS: no name resolves (``MAP * ~NOTFOUND``), so no query leaves; with the proxy alone a TURN
  server's name was still looked up.
- UDP: WebRTC may use only the proxy (``disable_non_proxied_udp``), so it opens no UDP socket:
  no STUN, no TURN over UDP, no host candidates. DNS and QUIC,
  Chromium's other UDP senders, have no address to send to.

Measured (strace of a page trying every channel): no TCP connection and no datagram leaves
the process. Chromium still joins the mDNS multicast group and listens there; it sends
nothing. These switches act once, when QtWebEngine starts, for every page; ``web_sandbox`` and
``web_lockdown`` add the per-page layers (interceptor, navigation refusal, a
Content-Security-Policy, the network APIs removed from the page's scripts).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication, Qt

CHROMIUM_FLAGS_ENV = "QTWEBENGINE_CHROMIUM_FLAGS"

# Chromium must not phone home from a sandbox that is meant to send nothing anywhere: no
# component updates, no background fetches, no DNS pre-resolution, no hyperlink pings.
_QUIET_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--dns-prefetch-disable",
    "--no-pings",
)
# The network shut for the whole process (see the module docstring). QtWebEngine reads the
# variable with quotes honoured, so the resolver rule's spaces stay inside one switch.
_CLOSED_FLAGS = (
    "--proxy-server=http://127.0.0.1:0",
    "--proxy-bypass-list=<-loopback>",
    '--host-resolver-rules="MAP * ~NOTFOUND"',
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)
CHROMIUM_FLAGS = _QUIET_FLAGS + _CLOSED_FLAGS


def prepare_web_engine() -> None:
    """Set the attribute and environment WebEngine reads at its first use; call it once early.

    Flags already in the environment are kept (a user's ``--disable-gpu``), but ours go last:
    Chromium takes the last value of a repeated switch, so an inherited ``--proxy-server``
    cannot open the network again. Calling this twice changes nothing.

    As root (CI containers, some kiosk setups) Chromium refuses to start its process sandbox, so
    that one layer is switched off there; the page sandbox the preview relies on (no network,
    no files, no popups, an off-the-record profile) is ours and stays on.
    """
    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    inherited = os.environ.get(CHROMIUM_FLAGS_ENV, "")
    for flag in CHROMIUM_FLAGS:
        inherited = inherited.replace(flag, " ")
    os.environ[CHROMIUM_FLAGS_ENV] = " ".join([*inherited.split(), *CHROMIUM_FLAGS])
