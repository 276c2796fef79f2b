"""Invoice pages: five layouts (classic, centered, metabox, twocol, band) over the same content model.

Page size A4 at 300 dpi (2480 x 3508 px). Line items that do not fit continue on the next page; the totals
are printed on the last page.
"""

from __future__ import annotations

import numpy as np

from . import fake
from ..geometry import union
from .canvas import Canvas
from .content import InvoiceContent, Truth, gnum, gtext
from .fonts import SANS, SERIF, Font, font

W, H = 2480, 3508
LAYOUTS = ("classic", "centered", "metabox", "twocol", "band")


class InvoiceRenderer:
    def __init__(self, c: InvoiceContent, rng: np.random.Generator, layout: str | None = None):
        self.c, self.rng = c, rng
        self.layout = layout or fake.pick(rng, LAYOUTS)
        fam = fake.pick(rng, SANS + SANS + SERIF)
        head = fam if rng.random() < 0.6 else fake.pick(rng, SANS)
        s = float(rng.uniform(36, 43))
        self.f = font(fam, s)
        self.fb = font(fam, s, bold=True)
        self.fs = font(fam, s * 0.82)
        self.fsb = font(fam, s * 0.82, bold=True)
        self.ftitle = font(head, rng.uniform(78, 110), bold=True)
        self.fname = font(head, rng.uniform(52, 70), bold=True)
        self.lh = int(s * rng.uniform(1.3, 1.5))
        self.ml = int(rng.uniform(170, 260))
        self.mr = W - int(rng.uniform(170, 240))
        self.bottom = H - 440
        self.table_style = fake.pick(rng, ["rules", "grid", "plain", "zebra"])
        self.header_fill = fake.pick(rng, [None, 225, 60])
        self.colon = ":" if rng.random() < 0.6 else ""
        self.T = Truth()
        self.pages: list[Canvas] = []
        self.new_page()

    # -- helpers ------------------------------------------------------------------------------------
    @property
    def pno(self) -> int:
        return len(self.pages)

    def new_page(self) -> None:
        self.cv = Canvas(W, H)
        self.pages.append(self.cv)

    def lines(self, x, y, lines, f, align="l", fill=0):
        boxes = []
        for ln in lines:
            boxes.append(self.cv.text(x, y, ln, f, align=align, fill=fill))
            y += self.lh
        return union(boxes), y

    def address(self, who: str, x, y, align="l", f=None, fill=0):
        p = getattr(self.c, who)
        box, y = self.lines(x, y, p.address_lines, f or self.f, align, fill)
        self.T.text(f"{who}.address", p.address, "\n".join(p.address_lines), self.pno, box)
        return box, y

    def logo(self, x, y, size, fill=0, bg=255):
        with self.cv.region("logo", pad=6):
            r = self.rng
            shape = fake.pick(r, ["circle", "square", "diamond", "tri", "bars"])
            box = (x, y, x + size, y + size)
            if shape == "circle":
                self.cv.ellipse(box, fill=fill, outline=fill)
            elif shape == "square":
                self.cv.rect(box, fill=fill, outline=fill)
            elif shape == "diamond":
                m = size / 2
                self.cv.polygon([(x + m, y), (x + size, y + m), (x + m, y + size), (x, y + m)], fill=fill)
            elif shape == "tri":
                self.cv.polygon([(x, y + size), (x + size / 2, y), (x + size, y + size)], fill=fill)
            else:
                for i in range(4):
                    hgt = size * (i + 1) / 4
                    self.cv.rect((x + i * size / 4, y + size - hgt, x + (i + 0.8) * size / 4, y + size), fill=fill)
            initials = "".join(w[0] for w in self.c.vendor.name.split()[:2] if w[0].isalpha()).upper() or "X"
            if shape in ("circle", "square", "diamond"):
                f = font("dejavu-sans", size * 0.38, bold=True)
                self.cv.stamp([(0, 0, initials, f)], x + size / 2, y + size / 2 + (size * 0.08 if shape == "diamond"
                              else 0), fill=bg)
        return (x, y, x + size, y + size)

    def vendor_name(self, x, y, align="l", fill=0, f=None):
        box = self.cv.text(x, y, self.c.vendor.name, f or self.fname, align=align, fill=fill)
        self.T.text("vendor.name", self.c.vendor.name, self.c.vendor.name, self.pno, box)
        return box

    def customer(self, x, y, label=True):
        c, L = self.c, self.c.L
        with self.cv.region("parties"):
            if label:
                self.cv.text(x, y, L["bill_to"] + self.colon, self.fsb)
                y += self.lh
            box = self.cv.text(x, y, c.customer.name, self.fb)
            self.T.text("customer.name", c.customer.name, c.customer.name, self.pno, box)
            y += self.lh
            if self.rng.random() < 0.3:
                self.cv.text(x, y, f"Attn. {c.customer.contact}", self.f)
                y += self.lh
            _, y = self.address("customer", x, y)
            if c.customer.vat_id:
                lab = L["vat_id"] + ": "
                self.cv.text(x, y, lab, self.fs)
                box = self.cv.text(x + self.fs.length(lab), y, c.customer.vat_id, self.fs)
                self.T.text("customer.vat_id", c.customer.vat_id.replace(" MWST", ""), c.customer.vat_id,
                            self.pno, box)
                y += self.lh
        return y

    def vendor_block(self, x, y, align="l", name=True, label=None):
        c = self.c
        with self.cv.region("parties"):
            if label:
                self.cv.text(x, y, label + self.colon, self.fsb, align=align)
                y += self.lh
            if name:
                self.vendor_name(x, y, align, f=self.fb)
                y += self.lh
            _, y = self.address("vendor", x, y, align, f=self.fs)
            for ln in (f"{c.L['phone']} {c.vendor.phone}", c.vendor.email):
                if self.rng.random() < 0.6:
                    self.cv.text(x, y, ln, self.fs, align=align)
                    y += self.lh
        return y

    def meta_rows(self):
        c, L = self.c, self.c.L
        rows = [("invoice_number", L["number"], c.number, c.number),
                ("invoice_date", L["date"], c.fdate(c.date), c.date)]
        if c.due:
            rows.append(("due_date", L["due"], c.fdate(c.due), c.due))
        if c.po:
            rows.append(("purchase_order", L["po"], c.po, c.po))
        if c.customer_no:
            rows.append((None, L["customer_no"], c.customer_no, None))
        return rows

    def put_meta(self, key, text, value, box):
        if key in ("invoice_date", "due_date"):
            self.T.date(key, value, text, self.pno, box)
        elif key:
            self.T.text(key, value, text, self.pno, box)

    def meta_pairs(self, x_label, x_value, y, value_align="l"):
        with self.cv.region("meta"):
            for key, lab, text, value in self.meta_rows():
                self.cv.text(x_label, y, lab + self.colon, self.fb if self.rng.random() < 0.0 else self.f)
                box = self.cv.text(x_value, y, text, self.f, align=value_align)
                self.put_meta(key, text, value, box)
                y += self.lh
        return y

    def meta_box(self, x0, x1, y, labels_above=True, border=True):
        rows = self.meta_rows()
        cw = (x1 - x0) / len(rows)
        hgt = int(self.lh * 2.3)
        with self.cv.region("meta", pad=4):
            if border:
                self.cv.rect((x0, y, x1, y + hgt), width=3)
                for i in range(1, len(rows)):
                    self.cv.line([(x0 + i * cw, y), (x0 + i * cw, y + hgt)], width=2)
            for i, (key, lab, text, value) in enumerate(rows):
                cx = x0 + i * cw + 18
                self.cv.text(cx, y + self.lh * 0.95, lab, self.fsb)
                box = self.cv.text(cx, y + self.lh * 1.95, text, self.f)
                self.put_meta(key, text, value, box)
        return y + hgt

    # -- line items ---------------------------------------------------------------------------------
    def columns(self):
        c = self.c
        x0, x1 = self.ml, self.mr
        wid = x1 - x0
        cols = [("pos", c.L["pos"], 0.06, "l")] if self.rng.random() < 0.6 else []
        cols.append(("desc", c.L["desc"], 0.0, "l"))
        cols.append(("qty", c.L["qty"], 0.09, "r"))
        if self.rng.random() < 0.5:
            cols.append(("unit", c.L["unit"], 0.09, "l"))
        cols += [("price", c.L["price"], 0.17, "r"), ("amount", c.L["amount"], 0.17, "r")]
        fixed = sum(fr for _, _, fr, _ in cols)
        out, x = [], x0
        for key, lab, fr, al in cols:
            w = wid * (fr if fr else 1 - fixed)
            out.append((key, lab, x, x + w, al))
            x += w
        return out

    def table_header(self, y, cols):
        rh = int(self.lh * 1.35)
        fill_txt = 0
        if self.header_fill is not None:
            self.cv.rect((self.ml, y, self.mr, y + rh), fill=self.header_fill, outline=None)
            fill_txt = 255 if self.header_fill < 128 else 0
        for key, lab, a, b, al in cols:
            x = a + 14 if al == "l" else b - 14
            self.cv.text(x, y + rh * 0.68, lab, self.fsb, align=al, fill=fill_txt)
        if self.table_style in ("rules", "plain", "zebra") or self.header_fill is None:
            self.cv.line([(self.ml, y + rh), (self.mr, y + rh)], width=3)
        return y + rh

    def table(self, y, idx, cols):
        """Rows ``idx`` from ``y``; returns the y below the table."""
        c = self.c
        rh = int(self.lh * 1.3)
        with self.cv.region("line_items", pad=8):
            top = y
            y = self.table_header(y, cols)
            for n, i in enumerate(idx):
                it = c.items[i]
                if self.table_style == "zebra" and n % 2:
                    self.cv.rect((self.ml, y, self.mr, y + rh), fill=238, outline=None)
                base = y + rh * 0.68
                for key, lab, a, b, al in cols:
                    x = a + 14 if al == "l" else b - 14
                    if key == "pos":
                        self.cv.text(x, base, str(i + 1), self.f, align=al)
                    elif key == "desc":
                        d = it.desc
                        while self.f.length(d) > b - a - 28 and len(d) > 4:
                            d = d[:-1]
                        d = d.rstrip()
                        box = self.cv.text(x, base, d, self.f, align=al)
                        self.T.item(i, "description", gtext(d, d, self.pno, box))
                    elif key == "qty":
                        t = c.qty(it.qty)
                        self.T.item(i, "quantity", gnum(it.qty, t, self.pno, self.cv.text(x, base, t, self.f, align=al)))
                    elif key == "unit":
                        self.T.item(i, "unit", gtext(it.unit, it.unit, self.pno,
                                                     self.cv.text(x, base, it.unit, self.f, align=al)))
                    elif key == "price":
                        t = c.num(it.price)
                        self.T.item(i, "unit_price", gnum(it.price, t, self.pno, self.cv.text(x, base, t, self.f,
                                                                                               align=al)))
                    elif key == "amount":
                        t = c.num(it.amount)
                        self.T.item(i, "amount", gnum(it.amount, t, self.pno, self.cv.text(x, base, t, self.f,
                                                                                            align=al)))
                y += rh
                if self.table_style in ("rules", "grid"):
                    self.cv.line([(self.ml, y), (self.mr, y)], width=2 if self.table_style == "rules" else 3)
            if self.table_style == "grid":
                self.cv.rect((self.ml, top, self.mr, y), width=3)
                for key, lab, a, b, al in cols[1:]:
                    self.cv.line([(a, top), (a, y)], width=2)
            elif self.table_style != "rules":
                self.cv.line([(self.ml, y), (self.mr, y)], width=3)
        return y

    # -- totals, notes, footer ----------------------------------------------------------------------
    def money_cell(self, xr, y, value, f, key):
        c = self.c
        t = c.num(value)
        tok = c.cur_token()
        with_cur = key in ("total", "amount_due") or (c.currency_style == "symbol_before" and self.rng.random() < 0.5)
        if not with_cur:
            box = self.cv.text(xr, y, t, f, align="r")
        elif c.currency_style == "code_after":
            cb = self.cv.text(xr, y, tok, f, align="r")
            box = self.cv.text(xr - f.length(tok + " "), y, t, f, align="r")
        else:
            box = self.cv.text(xr, y, t, f, align="r")
            cb = self.cv.text(xr - f.length(t + " "), y, tok, f, align="r")
        if with_cur:
            self.T.currency(c.currency, tok, self.pno, cb)
        self.T.num(key, value, t, self.pno, box)

    def totals(self, y):
        c, L = self.c, self.c.L
        xr = self.mr - 14
        xl = self.mr - int(W * self.rng.uniform(0.36, 0.42))
        y += int(self.lh * 1.2)
        with self.cv.region("totals"):
            self.cv.text(xl, y, L["subtotal"] + self.colon, self.f)
            self.money_cell(xr, y, c.subtotal, self.f, "subtotal")
            y += self.lh
            pt = c.num_style[1]
            for rate, base, tax in c.taxes:
                self.cv.text(xl, y, f"{L['vat']} {rate.replace('.', pt)}%{self.colon}", self.f)
                key = "total_tax" if len(c.taxes) == 1 else None
                if key:
                    self.money_cell(xr, y, tax, self.f, key)
                else:
                    self.cv.text(xr, y, c.num(tax), self.f, align="r")
                y += self.lh
            if len(c.taxes) > 1:
                self.cv.text(xl, y, L["vat_total"] + self.colon, self.f)
                self.money_cell(xr, y, c.total_tax, self.f, "total_tax")
                y += self.lh
            self.cv.line([(xl, y - self.lh * 0.7), (self.mr, y - self.lh * 0.7)], width=3)
            y += int(self.lh * 0.25)
            self.cv.text(xl, y, L["total"] + self.colon, self.fb)
            self.money_cell(xr, y, c.total, self.fb, "total")
            y += self.lh
            if c.show_amount_due:
                self.cv.text(xl, y, L["due_amount"] + self.colon, self.fb)
                self.money_cell(xr, y, c.total, self.fb, "amount_due")
                y += self.lh
        return y

    def notes(self, y):
        c, L = self.c, self.c.L
        y += int(self.lh * 1.5)
        x = self.ml
        with self.cv.region("notes"):
            if c.terms:
                lab = L["terms"] + ": "
                self.cv.text(x, y, lab, self.fb)
                box = self.cv.text(x + self.fb.length(lab), y, c.terms, self.f)
                self.T.text("payment_terms", c.terms, c.terms, self.pno, box)
                y += self.lh
            if self.rng.random() < 0.75:
                lab = L["iban"] + ": "
                self.cv.text(x, y, lab, self.f)
                iban = fake.group4(c.vendor.iban)
                box = self.cv.text(x + self.f.length(lab), y, iban, self.f)
                self.T.text("vendor.iban", c.vendor.iban, iban, self.pno, box)
                self.cv.text(box[2] + 50, y, f"{L['bic']}: {c.vendor.bic}", self.f)
                y += self.lh
            if self.rng.random() < 0.7:
                self.cv.text(x, y, L["thanks"], self.f)
                y += self.lh
        return y

    def footer(self, page_no, n_pages):
        c, L = self.c, self.c.L
        cv = self.cv
        y = H - 250
        with cv.region("notes", pad=8):
            cv.line([(self.ml, y - self.lh), (self.mr, y - self.lh)], width=2)
            cols = [[c.vendor.name] + c.vendor.address_lines[:2],
                    [f"{L['phone']} {c.vendor.phone}", c.vendor.email],
                    [f"{L['vat_id']}: {c.vendor.vat_id}" if c.vendor.vat_id else "",
                     f"{L['iban']}: {fake.group4(c.vendor.iban)}"]]
            w = (self.mr - self.ml) / 3
            for k, col in enumerate(cols):
                yy = y
                for ln in col:
                    if ln:
                        box = cv.text(self.ml + k * w, yy, ln, self.fs, fill=60)
                        if ln.startswith(L["vat_id"]):
                            v = c.vendor.vat_id
                            b = self.fs.length(ln[: len(ln) - len(v)])
                            vb = cv.measure(v, self.fs)
                            vbox = (int(box[0] - cv.measure(ln, self.fs)[0] + b + vb[0]), box[1],
                                    int(box[0] - cv.measure(ln, self.fs)[0] + b + vb[2]), box[3])
                            self.T.text("vendor.vat_id", v.replace(" MWST", ""), v, page_no, vbox)
                    yy += int(self.lh * 0.85)
        if n_pages > 1:
            cv.text(self.mr, H - 120, f"{L['page']} {page_no}/{n_pages}", self.fs, align="r")

    # -- layouts ------------------------------------------------------------------------------------
    def header(self) -> int:
        """Draw the first-page header for the layout; returns the y where the line items start."""
        c, L, r, cv = self.c, self.c.L, self.rng, self.cv
        ml, mr, lh = self.ml, self.mr, self.lh
        lg = int(r.uniform(150, 260))
        top = int(r.uniform(150, 260))
        lay = self.layout
        if lay == "classic":
            self.logo(ml, top, lg)
            with cv.region("header"):
                self.vendor_name(ml + lg + 40, top + lg * 0.62)
                cv.text(mr, top + 90, L["title"], self.ftitle, align="r")
            y = self.vendor_block(ml, top + lg + 90, name=False)
            ym = self.meta_pairs(mr - 820, mr, top + 260, value_align="r")
            y = self.customer(ml, max(y, ym) + lh)
        elif lay == "centered":
            self.logo(W // 2 - lg // 2, top, lg)
            y = top + lg + 100
            with cv.region("header"):
                self.vendor_name(W // 2, y, align="c")
            with cv.region("parties"):
                box = cv.text(W // 2, y + lh * 1.2, " · ".join(c.vendor.address_lines), self.fs, align="c")
                self.T.text("vendor.address", c.vendor.address, " · ".join(c.vendor.address_lines), self.pno, box)
            y += int(lh * 2.2)
            cv.line([(ml, y), (mr, y)], width=3)
            y += int(lh * 2.4)
            with cv.region("header"):
                cv.text(W // 2, y, L["title"], self.ftitle, align="c")
            y += int(lh * 1.8)
            yc = self.customer(ml, y)
            ym = self.meta_pairs(mr - 800, mr, y, value_align="r")
            y = max(yc, ym)
        elif lay == "metabox":
            with cv.region("header"):
                self.vendor_name(mr, top + 60, align="r")
            self.logo(mr - lg, top + 110, lg)
            y = top + 480
            fsm = Font(self.fs.path, int(self.fs.size * 0.8))
            lead = f"{c.vendor.name} · "
            addr = " · ".join(c.vendor.address_lines)
            with cv.region("parties"):
                cv.text(ml, y, lead, fsm, fill=40)
                b = cv.text(ml + fsm.length(lead), y, addr, fsm, fill=40)
                self.T.text("vendor.address", c.vendor.address, addr, self.pno, b)
                cv.line([(ml, y + 10), (b[2], y + 10)], width=2)
            y = self.customer(ml, y + lh * 1.5, label=False)
            y += lh * 2
            with cv.region("header"):
                cv.text(ml, y, f"{L['title'].capitalize()} {c.number}" if r.random() < 0.3 else L["title"].title(),
                        Font(self.ftitle.path, int(self.ftitle.size * 0.7)))
            y += lh
            y = self.meta_box(ml, mr, y, border=r.random() < 0.8)
        elif lay == "twocol":
            with cv.region("header"):
                cv.text(ml, top + 100, L["title"], self.ftitle)
            self.logo(mr - lg, top, lg)
            y = top + max(lg, 200) + lh * 2
            yv = self.vendor_block(ml, y, label=L["from_"])
            yc = self.customer((ml + mr) // 2, y)
            y = max(yv, yc) + lh
            y = self.meta_box(ml, mr, y, border=r.random() < 0.5)
        else:  # band
            bh = int(r.uniform(300, 420))
            shade = int(r.uniform(20, 90))
            with cv.region("header", pad=0):
                cv.rect((0, 0, W, bh), fill=shade, outline=None)
                self.vendor_name(ml + lg + 40, bh * 0.55, fill=255)
                cv.text(mr, bh * 0.55, L["title"], self.ftitle, align="r", fill=255)
            self.logo(ml, (bh - lg) // 2, lg, fill=255, bg=shade)
            y = bh + lh * 2
            ym = self.meta_pairs(ml, ml + 560, y)
            yv = self.vendor_block(mr - 760, y, name=False)
            y = max(ym, yv) + lh
            y = self.customer(ml, y)
        return int(y + lh * 1.3)

    def continuation_header(self) -> int:
        c, L = self.c, self.c.L
        with self.cv.region("header"):
            self.cv.text(self.ml, 260, c.vendor.name, self.fb)
            self.cv.text(self.mr, 260, f"{L['title'].title()} {c.number}", self.f, align="r")
        return 260 + self.lh * 2

    def render(self) -> tuple[list[Canvas], Truth]:
        c = self.c
        y = self.header()
        cols = self.columns()
        rh = int(self.lh * 1.3)
        tail = self.lh * (6 + len(c.taxes) + 4)  # totals + notes
        todo = list(range(len(c.items)))
        while True:
            cap = max(1, int((self.bottom - y - self.lh * 1.4) // rh))
            if len(todo) * rh + self.lh * 1.4 + tail <= self.bottom - y:
                y = self.table(y, todo, cols)
                break
            n = min(cap, len(todo) - 1) if len(todo) > 1 else 1
            if len(todo) == 1 and cap >= 1 and self.pno > 1:
                n = 1
            y = self.table(y, todo[:n], cols)
            todo = todo[n:]
            self.cv.text(self.mr, y + self.lh * 1.2, c.L["carried"], self.fs, align="r")
            if not todo:
                self.new_page()
                y = self.continuation_header()
                break
            self.new_page()
            y = self.continuation_header()
        y = self.totals(y)
        self.notes(y)
        n = len(self.pages)
        for i, cv in enumerate(self.pages):
            self.cv = cv
            self.footer(i + 1, n)
        return self.pages, self.T


def render_invoice(c: InvoiceContent, rng: np.random.Generator, layout: str | None = None):
    """Render the invoice; returns ``(canvases, truth Invoice)``."""
    pages, truth = InvoiceRenderer(c, rng, layout).render()
    return pages, truth.invoice()
