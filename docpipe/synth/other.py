"""Pages that are neither invoices nor drawings: business letters and memos."""

from __future__ import annotations

import datetime as dt

import numpy as np

from . import fake, lang
from .canvas import Canvas
from .fonts import SANS, SERIF, font

W, H = 2480, 3508
_WORDS = ("we are pleased to confirm the schedule for the next project phase and would like to thank you for "
          "your continued cooperation the meeting will take place at our office where the team will present the "
          "results of the review including the updated budget the revised delivery dates and the open questions "
          "regarding the maintenance agreement please let us know whether the proposed date suits you and send "
          "us the documents we discussed in advance so that we can prepare the agenda accordingly in addition we "
          "would appreciate your feedback on the draft report which is attached to this letter").split()
_SUBJECTS = ["Project review meeting", "Change of address", "Annual maintenance agreement", "Quality audit results",
             "Delivery schedule for the third quarter", "Update on the pending order", "Office relocation"]


def _paragraph(rng: np.random.Generator, n: int) -> str:
    start = int(rng.integers(0, len(_WORDS) - n)) if n < len(_WORDS) else 0
    words = _WORDS[start:start + n]
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _wrap(text: str, f, width: float) -> list[str]:
    lines, cur = [], ""
    for w in text.split():
        cand = (cur + " " + w).strip()
        if f.length(cand) > width and cur:
            lines.append(cur)
            cur = w
        else:
            cur = cand
    return lines + ([cur] if cur else [])


def render_other(rng: np.random.Generator) -> Canvas:
    cv = Canvas(W, H)
    fam = fake.pick(rng, SANS + SERIF)
    s = float(rng.uniform(38, 44))
    f, fb = font(fam, s), font(fam, s, bold=True)
    lh = int(s * rng.uniform(1.35, 1.55))
    ml, mr = int(rng.uniform(200, 290)), W - int(rng.uniform(200, 260))
    sender = fake.company(rng, "en", fake.pick(rng, ["gb", "de", "nl", "us"]), with_bank=False)
    to = fake.company(rng, "en", fake.pick(rng, ["gb", "de", "fr"]), with_bank=False)
    memo = rng.random() < 0.35
    y = int(rng.uniform(200, 300))
    with cv.region("header"):
        cv.text(ml, y, sender.name, font(fam, s * 1.6, bold=True))
        cv.text(ml, y + lh * 1.2, " · ".join(sender.address_lines + [sender.phone]), font(fam, s * 0.8), fill=60)
        cv.line([(ml, y + lh * 1.6), (mr, y + lh * 1.6)], width=3)
    y += lh * 4
    date = dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1000)))
    dtext = lang.fmt_date(date, fake.pick(rng, ["us_long", "d_mon_y", "iso"]))
    subject = fake.pick(rng, _SUBJECTS)
    if memo:
        cv.text(ml, y, "MEMORANDUM", font(fam, s * 1.5, bold=True))
        y += int(lh * 1.8)
        for lab, val in (("To:", to.contact), ("From:", sender.contact), ("Date:", dtext), ("Subject:", subject)):
            cv.text(ml, y, lab, fb)
            cv.text(ml + 300, y, val, f)
            y += lh
        cv.line([(ml, y), (mr, y)], width=2)
        y += lh * 2
    else:
        for ln in [to.name, f"Attn. {to.contact}"] + to.address_lines:
            cv.text(ml, y, ln, f)
            y += lh
        y += lh
        cv.text(mr, y, dtext, f, align="r")
        y += lh * 2
        cv.text(ml, y, f"Re: {subject}", fb)
        y += lh * 2
        cv.text(ml, y, f"Dear {to.contact},", f)
        y += int(lh * 1.6)
    for _ in range(int(rng.integers(2, 5))):
        for ln in _wrap(_paragraph(rng, int(rng.integers(25, 70))), f, mr - ml):
            cv.text(ml, y, ln, f)
            y += lh
        y += int(lh * 0.7)
        if y > H - 700:
            break
    if memo and rng.random() < 0.7:
        for k in range(int(rng.integers(2, 5))):
            cv.text(ml + 40, y, f"• {_paragraph(rng, int(rng.integers(4, 9)))}", f)
            y += lh
    elif not memo:
        y += lh
        cv.text(ml, y, fake.pick(rng, ["Kind regards,", "Yours sincerely,", "Best regards,"]), f)
        y += lh * 3
        cv.text(ml, y, sender.contact, f)
        cv.text(ml, y + lh, fake.pick(rng, ["Project Manager", "Managing Director", "Head of Purchasing"]), f)
    return cv
