"""The composer: images in by drop and paste, keys, Send/Stop, and the budget gate."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage

from app.core.images import Detail
from app.ui.composer.composer import FILE_FILTER, Composer
from tests.ui.composer.test_pending_images import tab_order
from tests.ui.drops import drop_on, file_urls

WAIT_MS = 10_000


def _png_bytes(image_file, name: str, width: int, height: int) -> bytes:
    return image_file(width, height, name).read_bytes()


def _names(composer: Composer) -> list[str]:
    return [item.name for item in composer.images.items()]


def _ready(qtbot, composer: Composer, count: int) -> None:
    qtbot.waitUntil(
        lambda: composer.images.rowCount() == count and composer.images.all_ready,
        timeout=WAIT_MS,
    )


def test_drop_three_files_and_browser_image_data(qtbot, composer: Composer, image_file) -> None:
    files = [image_file(64 * (i + 1), 48, f"shot{i}.png") for i in range(3)]
    with qtbot.waitSignal(composer.composition_changed):
        drop_on(composer, file_urls(*files))
    browser = QMimeData()
    browser.setData("image/png", _png_bytes(image_file, "cat.png", 100, 80))
    browser.setUrls([QUrl("https://example.com/pics/cat.png")])
    drop_on(composer.editor, browser)  # dropped on the text box: an image, not a url in the text
    _ready(qtbot, composer, 4)
    assert _names(composer) == ["shot0.png", "shot1.png", "shot2.png", "cat.png"]
    assert composer.text() == ""
    assert composer.pending_image_tokens() == sum(i.tokens for i in composer.pending_images())


def test_drop_on_the_strip_adds_files(qtbot, composer: Composer, image_file) -> None:
    composer.add_files([image_file(32, 32, "first.png")])
    _ready(qtbot, composer, 1)
    drop_on(composer.strip, file_urls(image_file(32, 32, "second.png")), QPointF(5, 5))
    _ready(qtbot, composer, 2)
    assert _names(composer) == ["first.png", "second.png"]


def test_refused_files_are_named_and_the_others_go_in(
    qtbot, composer: Composer, image_file, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    broken = image_file(200, 200, "broken.png")
    broken.write_bytes(broken.read_bytes()[:50])
    good = [image_file(40, 40, "one.png"), image_file(40, 40, "two.png")]
    refused: list[str] = []
    composer.images_refused.connect(refused.extend)
    drop_on(composer, file_urls(good[0], notes, broken, good[1]))
    qtbot.waitUntil(lambda: len(refused) == 2, timeout=WAIT_MS)
    _ready(qtbot, composer, 2)
    assert _names(composer) == ["one.png", "two.png"]
    assert sorted("notes.txt" in m for m in refused) == [False, True]
    assert sorted("broken.png" in m for m in refused) == [False, True]
    assert not composer.notice.isHidden()
    assert "notes.txt" in composer.notice.label.text()
    composer.notice.close_button.click()
    assert composer.notice.isHidden()


def test_a_web_address_alone_is_refused_not_fetched(qtbot, composer: Composer) -> None:
    refused: list[str] = []
    composer.images_refused.connect(refused.extend)
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/photo.jpg")])
    drop_on(composer, mime)
    assert composer.images.rowCount() == 0
    assert len(refused) == 1 and "photo.jpg" in refused[0] and "download" in refused[0]


def test_paste_an_image_and_copied_files(qtbot, composer: Composer, image_file) -> None:
    image = QImage(200, 100, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkMagenta)
    clipboard = QGuiApplication.clipboard()
    clipboard.setImage(image)
    composer.editor.setFocus()
    qtbot.keyClick(composer.editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    _ready(qtbot, composer, 1)
    assert _names(composer) == ["pasted image"]
    assert composer.pending_images()[0].source_size == (200, 100)
    clipboard.setMimeData(file_urls(image_file(50, 50, "copied.png")))
    qtbot.keyClick(composer.editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    _ready(qtbot, composer, 2)
    assert _names(composer) == ["pasted image", "copied.png"]
    assert composer.text() == ""


def test_pasting_text_or_a_link_stays_text(qtbot, composer: Composer) -> None:
    mime = QMimeData()
    mime.setText("https://example.com/a.png")
    mime.setUrls([QUrl("https://example.com/a.png")])
    QGuiApplication.clipboard().setMimeData(mime)
    qtbot.keyClick(composer.editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert composer.text() == "https://example.com/a.png"
    assert composer.images.rowCount() == 0 and composer.notice.isHidden()


def test_enter_sends_text_and_images_in_order_and_keeps_them_until_confirmed(
    qtbot, composer: Composer, image_file
) -> None:
    composer.add_files([image_file(32, 32, n) for n in ("a.png", "b.png", "c.png")])
    _ready(qtbot, composer, 3)
    composer.images.remove(1)
    composer.images.move(1, 0)
    qtbot.keyClicks(composer.editor, "compare")
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.editor, "them")
    assert composer.text() == "compare\nthem"
    with qtbot.waitSignal(composer.send_requested) as sent:
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    (composition,) = sent.args
    assert composition.text == "compare\nthem"
    assert [i.name for i in composition.images] == ["c.png", "a.png"]
    assert composition == composer.composition()
    assert composer.text() == "compare\nthem" and composer.images.rowCount() == 2
    composer.clear_after_send()
    assert composer.text() == "" and composer.images.rowCount() == 0


def test_enter_waits_for_images_being_prepared(qtbot, composer: Composer, image_file) -> None:
    composer.editor.setPlainText("hi")
    composer.add_files([image_file(32, 32, "slow.png")])
    assert not composer.send_button.isEnabled()
    assert "Preparing" in composer.send_button.toolTip()
    with qtbot.assertNotEmitted(composer.send_requested):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    _ready(qtbot, composer, 1)
    assert composer.send_button.isEnabled()


def test_nothing_to_send_means_send_is_disabled(qtbot, composer: Composer) -> None:
    assert not composer.send_button.isEnabled()
    with qtbot.assertNotEmitted(composer.send_requested):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(composer.editor, "x")
    assert composer.send_button.isEnabled()


def test_escape_and_the_stop_button_emit_stop(qtbot, composer: Composer) -> None:
    composer.set_generating(True)
    assert composer.send_button.text() == "Stop" and composer.send_button.isEnabled()
    with qtbot.waitSignal(composer.stop_requested):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Escape)
    with qtbot.waitSignal(composer.stop_requested):
        composer.send_button.click()
    composer.editor.setPlainText("next question")
    with qtbot.assertNotEmitted(composer.send_requested):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    composer.set_generating(False)
    assert composer.send_button.text() == "Send"


def test_over_budget_disables_send_and_explains_the_fixes(qtbot, composer: Composer) -> None:
    composer.editor.setPlainText("a question")
    composer.meter.set_budget(30_000, 3, 3_000, 4_096, 32_768)
    assert not composer.send_button.isEnabled()
    tip = composer.send_button.toolTip()
    budget = composer.meter.budget
    assert budget is not None and f"{budget.over_by:,} tokens over" in tip
    for fix in budget.fixes():
        assert fix in tip
    assert not composer.budget_line.isHidden() and "lower the image detail" in (
        composer.budget_line.text()
    )
    with qtbot.assertNotEmitted(composer.send_requested):
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    composer.meter.set_budget(3_000, 3, 0, 4_096, 32_768)
    assert composer.send_button.isEnabled() and composer.budget_line.isHidden()


def test_composition_can_be_taken_and_restored(qtbot, composer: Composer, image_file) -> None:
    composer.editor.setPlainText("draft")
    composer.add_files([image_file(32, 32, "a.png")])
    _ready(qtbot, composer, 1)
    composer.images.set_detail(0, "low")
    text, sources = composer.take_composition()
    composer.clear_after_send()
    composer.restore_composition(text, sources)
    _ready(qtbot, composer, 1)
    assert composer.text() == "draft"
    assert composer.pending_images()[0].detail is Detail.LOW


def test_every_control_of_the_card_is_named_and_reachable_by_tab(composer: Composer) -> None:
    card = [
        composer.editor,
        composer.tools.attach_button,
        composer.tools.presets_button,
        composer.make_html_button,
        composer.send_button,
    ]
    for widget in card:
        assert widget.accessibleName() and widget.toolTip()
        assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        assert composer.card.isAncestorOf(widget)
    assert composer.editor.tabChangesFocus()
    assert tab_order(composer.editor, len(card) - 1) == card
    assert composer.meter.accessibleName() and composer.card.isAncestorOf(composer.meter)


def test_the_card_shows_the_focus_of_its_borderless_text_box(qtbot, composer: Composer) -> None:
    composer.editor.setFocus()
    qtbot.waitUntil(lambda: composer.card.property("focused") is True)
    composer.tools.attach_button.setFocus()
    qtbot.waitUntil(lambda: composer.card.property("focused") is False)


def test_a_dropped_pdf_goes_to_the_page_picker_and_images_to_the_strip(
    qtbot, composer: Composer, image_file, tmp_path: Path
) -> None:
    from tests.workflows.pdf_factory import TextPage, write_pdf

    pdfs = [write_pdf(tmp_path / f"doc{i}.pdf", [TextPage([f"doc {i}"])]) for i in (1, 2)]
    png = image_file(40, 30, "shot.png")
    dropped: list[str] = []
    composer.document_dropped.connect(dropped.append)
    drop_on(composer, file_urls(pdfs[0], png, pdfs[1]))
    assert dropped == [str(pdfs[0]), str(pdfs[1])]  # at once, by name, in the order dropped
    _ready(qtbot, composer, 1)
    assert _names(composer) == ["shot.png"] and not composer.notice.isVisible()
    # Pasted as a copied file, and chosen in "Add images…", a PDF goes the same way.
    QGuiApplication.clipboard().setMimeData(file_urls(pdfs[1]))
    composer.editor.setFocus()
    composer.editor.paste()
    composer.add_files([pdfs[0]])
    assert dropped[2:] == [str(pdfs[1]), str(pdfs[0])]
    assert "*.pdf" in FILE_FILTER.split(";;")[0]  # "Add images…" offers PDFs too


def test_a_pdf_without_its_suffix_is_found_by_its_header_off_the_gui_thread(
    qtbot, composer: Composer, tmp_path: Path
) -> None:
    from tests.workflows.pdf_factory import TextPage, write_pdf

    pdf = write_pdf(tmp_path / "scan-0042", [TextPage(["hello"])])
    with qtbot.waitSignal(composer.document_dropped, timeout=WAIT_MS) as found:
        drop_on(composer, file_urls(pdf))
    assert found.args == [str(pdf)]
    qtbot.waitUntil(lambda: composer.images.rowCount() == 0, timeout=WAIT_MS)
    assert not composer.notice.isVisible()  # not refused as "not an image"


def test_several_documents_go_together_and_re_picking_one_replaces_it(composer: Composer) -> None:
    from app.core.conversation import TextPart

    composer.attach_document("a.pdf", [TextPart("A")], 10)
    composer.attach_document("b.pdf", [TextPart("B")], 5)
    assert composer.document_parts == [TextPart("A"), TextPart("B")]
    assert composer.pending_document_tokens() == 15
    assert composer.document_chips.captions() == ["a.pdf", "b.pdf"]
    composer.attach_document("a.pdf", [TextPart("A2")], 7)
    assert composer.document_parts == [TextPart("B"), TextPart("A2")]
    assert composer.pending_document_tokens() == 12
    composer.clear_after_send()
    assert composer.document_chips.isHidden()
    composer.attach_document("c.pdf", [TextPart("C")], 1)
    assert composer.document_parts == [TextPart("C")]
    assert composer.document_chips.captions() == ["c.pdf"]


def _document(name: str, pages: list[int]) -> list:
    from app.core.conversation import TextPart
    from app.core.document_marks import document_header, page_label

    header = TextPart(document_header(name, 9, pages))
    return [header] + [TextPart(page_label(name, page) + "text") for page in pages]


def test_an_attached_document_is_a_chip_with_its_pages_and_a_remove_button(
    qtbot, composer: Composer
) -> None:
    composer.attach_document("lease.pdf", _document("lease.pdf", [1, 2, 3]), 1_234)
    composer.attach_document("memo.pdf", _document("memo.pdf", [2, 5, 6, 7]), 40)
    chips = composer.document_chips
    assert chips.isVisible()
    assert chips.captions() == ["lease.pdf · pp. 1–3", "memo.pdf · pp. 2, 5–7"]
    lease = chips.chips[0]
    assert "lease.pdf · pp. 1–3" in lease.label.text() and lease.label.isVisible()
    assert "1,234 tokens" in lease.label.toolTip()
    remove = lease.remove_button
    assert remove.isVisible() and remove.accessibleName() == "Remove lease.pdf"
    assert "Remove lease.pdf" in remove.toolTip()
    with qtbot.waitSignal(composer.composition_changed):
        remove.click()
    assert chips.captions() == ["memo.pdf · pp. 2, 5–7"]
    assert all("lease.pdf" not in getattr(p, "text", "") for p in composer.document_parts)
    assert composer.pending_document_tokens() == 40
    assert "lease.pdf" not in composer.composition().message().text
    chips.chips[0].remove_button.click()
    assert chips.isHidden() and composer.document_parts == []


def test_the_message_box_asks_about_what_is_attached(qtbot, composer: Composer, image_file) -> None:
    assert composer.editor.placeholderText().startswith("Ask about your images…")
    composer.attach_document("lease.pdf", _document("lease.pdf", [1]), 10)
    assert composer.editor.placeholderText().startswith("Ask about lease.pdf…")
    composer.attach_document("memo.pdf", _document("memo.pdf", [1]), 10)
    assert composer.editor.placeholderText().startswith("Ask about lease.pdf and memo.pdf…")
    composer.add_files([image_file(32, 32, "shot.png")])
    _ready(qtbot, composer, 1)
    assert composer.editor.placeholderText().startswith(
        "Ask about lease.pdf, memo.pdf and your images…"
    )
    composer.clear_after_send()
    assert composer.editor.placeholderText().startswith("Ask about your images…")
    assert "Enter sends" in composer.editor.placeholderText()


# ---------------------------------------------------------------------------------- presets
def _with_presets(qtbot, composer: Composer, user_file: Path) -> Composer:
    with qtbot.waitSignal(composer.tools.presets_loaded, timeout=WAIT_MS):
        composer.tools.set_user_file(user_file)
    return composer


def _menu_titles(composer: Composer) -> list[str]:
    return [a.text() or "—" for a in composer.tools.presets_menu.actions()]


def _choose(composer: Composer, title: str) -> None:
    next(a for a in composer.tools.presets_menu.actions() if a.text() == title).trigger()


def test_the_presets_menu_lists_presets_but_not_make_html(
    qtbot, composer: Composer, tmp_path: Path
) -> None:
    from app.workflows.presets import builtin_presets

    _with_presets(qtbot, composer, tmp_path / "presets.json")
    shown = [p.title for p in builtin_presets() if p.id != "make_html"]
    assert _menu_titles(composer) == [*shown, "—", "Edit presets…"]
    assert composer.tools.presets_menu.actions()[-1].isEnabled()
    assert composer.tools.presets_button.menu() is composer.tools.presets_menu


def test_choosing_a_preset_fills_the_box_and_sets_the_detail(
    qtbot, composer: Composer, tmp_path: Path, image_file
) -> None:
    _with_presets(qtbot, composer, tmp_path / "presets.json")
    composer.add_files([image_file(2048, 1024, "wide.png")])
    _ready(qtbot, composer, 1)
    assert composer.pending_image_tokens() == 32 * 65  # native: 1024×512 → 64×32 patches
    applied: list = []
    composer.tools.preset_applied.connect(applied.append)
    _choose(composer, "Read a chart")  # detail "high": longest side 768
    assert composer.text().startswith("Read this chart.")
    assert applied[0].id == "read_chart"
    assert composer.images.item(0).detail is Detail.HIGH
    assert composer.pending_image_tokens() == 24 * 49  # at once, before the re-prepare
    composer.add_files([image_file(2048, 1024, "later.png")])  # the same message: same detail
    _ready(qtbot, composer, 2)
    assert [i.detail for i in composer.pending_images()] == [Detail.HIGH, Detail.HIGH]
    composer.clear_after_send()
    composer.add_files([image_file(2048, 1024, "next.png")])  # the next message: the setting
    _ready(qtbot, composer, 1)
    assert composer.images.item(0).detail is composer.default_detail


def test_a_preset_goes_before_what_was_typed(qtbot, composer: Composer, tmp_path: Path) -> None:
    _with_presets(qtbot, composer, tmp_path / "presets.json")
    qtbot.keyClicks(composer.editor, "only the totals please")
    _choose(composer, "Describe image")  # no detail: the images' detail is left alone
    prompt = next(p.prompt for p in composer.tools.presets if p.id == "describe_image")
    assert composer.text() == f"{prompt}\n\nonly the totals please"
    assert composer.composition_detail is None
    assert composer.editor.textCursor().atEnd()


def test_edited_presets_are_saved_and_the_menu_shows_them(
    qtbot, composer: Composer, tmp_path: Path
) -> None:
    user_file = tmp_path / "config" / "presets.json"
    _with_presets(qtbot, composer, user_file)
    next(a for a in composer.tools.presets_menu.actions() if a.text() == "Edit presets…").trigger()
    dialog = composer.tools.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.add_button.click()
    qtbot.keyClicks(dialog.title, "Summarise slide")
    dialog.prompt.setPlainText("Summarise this slide in three bullets.")
    with qtbot.waitSignal(composer.tools.presets_loaded, timeout=WAIT_MS):
        dialog.save_button.click()
    assert not dialog.isVisible() and user_file.exists()
    assert _menu_titles(composer)[-3:] == ["Summarise slide", "—", "Edit presets…"]
    _choose(composer, "Summarise slide")
    assert composer.text() == "Summarise this slide in three bullets."


def test_a_broken_user_file_is_said_once_and_the_built_ins_still_work(
    qtbot, composer: Composer, tmp_path: Path
) -> None:
    user_file = tmp_path / "presets.json"
    user_file.write_text("{ not json", encoding="utf-8")
    _with_presets(qtbot, composer, user_file)
    assert composer.notice.isVisible()
    assert len(composer.notice.messages) == 1
    assert str(user_file) in composer.notice.messages[0]
    assert "built-in presets" in composer.notice.messages[0]
    assert "Describe image" in _menu_titles(composer)
    with qtbot.waitSignal(composer.tools.presets_loaded, timeout=WAIT_MS):
        composer.tools.reload()
    assert len(composer.notice.messages) == 1  # not again at every reload


def test_many_attachments_scroll_sideways_in_a_narrow_window(
    qtbot, composer: Composer, image_file
) -> None:
    """At a 900 px window (about 600 px for the composer) nothing widens it or wraps."""
    composer.add_files([image_file(64, 48, f"shot{i}.png") for i in range(8)])
    for name in ("lease.pdf", "minutes-of-the-meeting.pdf", "invoice-march.pdf", "annex.pdf"):
        composer.attach_document(name, _document(name, [1, 2]), 10)
    _ready(qtbot, composer, 8)
    composer.resize(600, composer.height())
    assert composer.minimumSizeHint().width() <= 600
    qtbot.waitUntil(lambda: composer.strip.horizontalScrollBar().maximum() > 0)
    qtbot.waitUntil(lambda: composer.document_chips.horizontalScrollBar().maximum() > 0)
    assert composer.card.geometry().right() < composer.width()


def test_tab_goes_through_the_card_top_to_bottom(qtbot, composer: Composer, image_file) -> None:
    composer.add_files([image_file(32, 32, "a.png"), image_file(32, 32, "b.png")])
    composer.attach_document("lease.pdf", _document("lease.pdf", [1]), 10)
    composer.editor.setPlainText("ready")
    _ready(qtbot, composer, 2)
    first, second = composer.strip.card(0), composer.strip.card(1)
    expected = [
        first,
        first.detail_box,
        first.remove_button,
        second,
        second.detail_box,
        second.remove_button,
        composer.document_chips.chips[0].remove_button,
        composer.editor,
        composer.tools.attach_button,
        composer.tools.presets_button,
        composer.make_html_button,
        composer.send_button,
    ]
    assert tab_order(first, len(expected) - 1) == expected


def test_while_nothing_can_answer_the_empty_box_says_what_to_do(composer: Composer) -> None:
    """One line in the box's placeholder, no line squeezed between the box and its tools,
    until something is typed in vain."""
    reason = "Choose a model to start: use one found on this computer."
    composer.set_unavailable(reason)
    assert composer.editor.placeholderText() == reason
    assert composer.budget_line.isHidden() and not composer.send_button.isEnabled()
    composer.editor.setPlainText("What is in this picture?")
    assert not composer.budget_line.isHidden() and composer.budget_line.text() == reason
    composer.set_unavailable("")
    assert composer.editor.placeholderText().startswith("Ask about")
    assert composer.budget_line.isHidden() and composer.send_button.isEnabled()
