"""Long paths keep both ends in view and the whole path in the tooltip."""

from __future__ import annotations

from app.ui.common.path_edit import PathEdit

LONG = "/home/someone/Downloads/models/ggml-org/pixtral-12b-GGUF/pixtral-12b-Q4_K_M.gguf"


def test_a_long_path_is_elided_in_the_middle_with_the_whole_path_as_tooltip(qtbot) -> None:
    edit = PathEdit(LONG, note="The Pixtral model file.")
    qtbot.addWidget(edit)
    edit.resize(260, edit.sizeHint().height())
    edit.show()
    shown = edit.shown_text()
    assert "…" in shown
    assert shown.startswith("/home/") and shown.endswith(".gguf")
    assert edit.text() == LONG  # the value itself is untouched
    assert edit.toolTip().startswith(LONG) and "Pixtral model file" in edit.toolTip()
    edit.setText("/tmp/b.gguf")
    assert edit.shown_text() == "/tmp/b.gguf" and edit.toolTip().startswith("/tmp/b.gguf")
