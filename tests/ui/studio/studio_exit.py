"""A program the shutdown tests run in a process of their own: it opens the studio, shows a page,
waits for the page's render, leaves one way or another and exits; the test reads its output.

Ways out (the first argument):

- ``closed``: the studio is closed, then the application quits (``app.exec`` returns);
- ``open``: the application quits with the studio still open;
- ``teardown``: as a pytest run ends: the application never runs ``exec`` or quits (event loops
  are run by hand), the window is closed and handed to ``deleteLater`` (pytest-qt's teardown),
  and the interpreter exits before any event loop deletes it;
- ``reopen``: the studio is closed and opened again three times, a new version each time, and
  each time the page must load in the preview (then it quits as ``closed`` does).

Exit status 0 when every page loaded; 3 when one did not within ``WAIT_MS``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from app.ui.studio.web_setup import prepare_web_engine

WAIT_MS = 30_000


def main(way: str) -> int:
    prepare_web_engine()
    from PySide6.QtCore import QDeadlineTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    from app.ui.studio.html_studio import HtmlStudio
    from app.workflows.html_versions import PageVersion, StudioRecord, VersionSource

    app = QApplication(sys.argv[:1])
    window = QMainWindow()  # the studio is the main window's child, as in the app
    window.show()
    studio = HtmlStudio(window)

    def wait_until(done: Callable[[], bool]) -> bool:
        deadline = QDeadlineTimer(WAIT_MS)
        while not done():
            if deadline.hasExpired():
                return False
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return True

    def show_version(number: int) -> bool:
        """Show a new version; True once the preview shows its text and its render is done."""
        html = f"<body style='background:#2050c0'><h1>Version {number}</h1></body>"
        studio.show_record(StudioRecord(None, (PageVersion(number, html, VersionSource.ANSWER),)))
        studio.show()
        if not wait_until(lambda: studio.render_image is not None and studio.preview.settled):
            return False
        text: list[str] = []
        studio.preview.page().toPlainText(text.append)
        return wait_until(lambda: bool(text)) and f"Version {number}" in text[0]

    if not show_version(1):
        return 3
    if way == "reopen":
        for number in (2, 3, 4):
            studio.close()
            app.processEvents()
            if not show_version(number):
                return 3
        way = "closed"
    print("pixtral-desk test: page shown and rendered", flush=True)
    if way == "teardown":
        window.close()
        window.deleteLater()
        return 0
    if way == "closed":
        studio.close()
    QTimer.singleShot(0, app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
