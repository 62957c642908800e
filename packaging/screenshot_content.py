"""The scripted content of the README screenshots: texts, fake screenshots, a fake machine.

Nothing here is real user data or depends on this machine, so the pictures come out the same
everywhere; packaging/screenshots.py puts it into the real window.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw

ANSWER = """## What the screenshots show

The first two are the **settings page** of a mail client; the third is its sign-in dialog.

| Screenshot | Screen | Problem |
|---|---|---|
| 1 | Settings → Accounts | the *Save* button is disabled |
| 2 | Settings → Sync | the interval field accepts text |
| 3 | Sign in | the error message is cut off |

A form that validates the interval as it is typed:

```python
def parse_interval(text: str) -> int:
    \"\"\"Minutes between syncs; 5 to 1440.\"\"\"
    minutes = int(text.strip())
    if not 5 <= minutes <= 1440:
        raise ValueError("between 5 minutes and one day")
    return minutes
```

See the [Qt documentation](https://doc.qt.io/) for `QIntValidator`.
"""


def fake_screenshot(title: str, accent: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    """A plausible UI screenshot: title bar, sidebar, a form."""
    width, height = size
    img = Image.new("RGB", size, (246, 247, 249))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width, 36), fill=accent)
    draw.text((12, 11), title, fill=(255, 255, 255))
    draw.rectangle((0, 36, 150, height), fill=(228, 231, 236))
    for row in range(5):
        draw.rectangle((14, 56 + row * 30, 130, 72 + row * 30), fill=(205, 209, 216))
        draw.rectangle(
            (180, 60 + row * 44, width - 40, 86 + row * 44),
            outline=(180, 184, 190),
            fill=(255, 255, 255),
        )
    draw.rounded_rectangle((width - 150, height - 56, width - 40, height - 24), 6, fill=accent)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def sidebar_rows(row, now: float) -> list:
    return [
        row(1, "Mail client settings review", now - 60, pinned=True),
        row(2, "Receipt from the hardware store", now - 3_000),
        row(3, "Landing page sketch to HTML", now - 90_000),
        row(4, "Quarterly revenue chart", now - 200_000),
        row(5, "Lease contract, clause 7", now - 400_000),
    ]


HOME = Path("/home/ana")  # not this machine's: the pictures are the same everywhere
LEASE = "lease.pdf"
LEASE_PAGES = {
    1: "Residential lease between Ana Ruiz (tenant) and Parkside Homes Ltd (landlord).\n",
    2: "7. Notice. Either party may end this lease with three months' notice in writing. "
    "7.2 The tenant repairs damage they cause; the landlord keeps the heating, plumbing "
    "and roof in repair.\n",
    3: "9. Deposit. The deposit of 1,800 is returned within 30 days of the end of the lease.\n",
}
LEASE_QUESTION = "How much notice do I have to give, and who pays for a broken boiler?"
LEASE_ANSWER = """**Notice:** three months, given **in writing** — either side can end the lease \
that way (clause 7, p. 2).

**A broken boiler:** the landlord pays. Clause 7.2 keeps *the heating, plumbing and roof* \
with the landlord; you only repair damage you cause yourself (p. 2).

The deposit (1,800) comes back within 30 days of the lease ending (p. 3).
"""
LIMIT_QUESTION = "Write out all the text in these three screens, screen by screen."
LIMIT_ANSWER = """### Screen 1 — Settings → Accounts

- **Account name:** ana@example.com
- **Incoming server:** imap.example.com, port 993, SSL/TLS
- **Outgoing server:** smtp.example.com, port 587, STARTTLS
- **Sign-in method:** normal password
- Buttons: *Cancel*, *Save* (greyed out)

### Screen 2 — Settings → Sync

- **Check for new mail every:** `15 minutes`
- **Keep messages for:** all time
- **Download:** headers and bodies
- **Sync folders:** Inbox, Sent, Drafts, Archive, Newsletters, Receipts, Travel, Work, \
Family, Photos, Old projects, Taxes 2023, Taxes 2024, Subscriptions, Bills and
"""


def fake_hardware():
    from app.core.budget import GIB
    from app.models.hardware import GpuInfo, HardwareReport

    gpu = (GpuInfo("NVIDIA GeForce RTX 4070", 12 * GIB, 11 * GIB, "nvidia"),)
    return HardwareReport(("CUDA", "CPU"), True, gpu, 32 * GIB, 24 * GIB, 200 * GIB, HOME)


def found_pair():
    """A Pixtral 12B Q4_K_M pair in the Hugging Face cache, as the disk scan reports it."""
    from app.core.model_files import MmprojInfo, TextModelInfo
    from app.models.discovery import ModelPair, ScanResult

    folder = HOME / ".cache/huggingface/hub/models--bartowski--pixtral-12b-GGUF/snapshots/5f1c3e7"
    text = TextModelInfo(
        folder / "pixtral-12b-Q4_K_M.gguf", "llama", "Pixtral 12B", 40, 5120, 32, 8, 128,
        1_024_000, 7_477_000_000,
    )  # fmt: skip
    mmproj = MmprojInfo(folder / "mmproj-pixtral-12b-f16.gguf", "pixtral", 5120, 16, 879_000_000)
    return ScanResult(pairs=[ModelPair(text, mmproj, "Hugging Face cache", "Q4_K_M")])


STUDIO_PAGE = """<!DOCTYPE html>
<html><head><style>
body { margin: 0; background: #f6f7f9; font: 13px sans-serif; width: 800px; height: 600px; }
header { background: #2e7d32; color: white; height: 36px; line-height: 36px; padding-left: 12px; }
nav { position: absolute; top: 36px; left: 0; width: 150px; bottom: 0; background: #e4e7ec; }
nav div { background: #cdd1d8; width: 116px; height: 16px; margin: 20px 0 14px 14px; }
main { position: absolute; top: 36px; left: 180px; right: 40px; }
input { display: block; width: 100%; height: 26px; box-sizing: border-box; margin-top: 24px;
        border: 1px solid #b4b8be; }
button { position: absolute; top: 508px; right: 0; width: 110px; height: 32px; border: 0;
         border-radius: 6px; background: #2e7d32; }
</style></head><body><header>Sign in</header>
<nav><div></div><div></div><div></div><div></div><div></div></nav>
<main><input><input><input><input><input><button></button></main></body></html>"""
