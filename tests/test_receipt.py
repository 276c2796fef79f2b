"""Receipt rules over pages built from known words (no OCR): the shop's name and address, the total paid."""

from docpipe.structure.layout import PageView
from docpipe.structure.receipt import receipt_header, receipt_total

from .conftest import page_from_items as page

SIZE = (900, 2000)
RECEIPT = [
    (250, 100, "Welcome to FreshMart"),
    (120, 160, "Fresh Trading Sdn Bhd (123456-X)"),
    (120, 220, "No 16A, Jalan Astaka U8/83,"), (120, 270, "40150 Shah Alam, Selangor"),
    (120, 320, "Tel: 03-5555 1234"), (120, 370, "GST ID : 000123456789"),
    (300, 440, "TAX INVOICE"), (40, 500, "Date: 05-05-2018 13:16"),
    (40, 600, "Milk 1L"), (600, 600, "7.50"), (40, 660, "Bread"), (600, 660, "4.43"),
    (40, 760, "Total Amount:"), (600, 760, "11.93"),
    (40, 820, "GST payable (6%):"), (600, 820, "0.68"),
    (40, 880, "Rounding:"), (600, 880, "0.02"),
    (40, 940, "Nett Total:"), (600, 940, "11.95"),
    (40, 1040, "CASH"), (600, 1040, "20.00"), (40, 1100, "CHANGE"), (600, 1100, "8.05"),
    (40, 1200, "GST Summary"), (40, 1260, "Total:"), (400, 1260, "11.27"), (600, 1260, "0.68"),
]


def test_name_is_the_legal_entity_and_address_runs_to_the_contact_rows():
    h = receipt_header(PageView(page(RECEIPT, size=SIZE)))
    assert h.name.value == "Fresh Trading Sdn Bhd"  # not the greeting, without the registration number
    assert h.address.value == "No 16A, Jalan Astaka U8/83, 40150 Shah Alam, Selangor"
    assert h.address.page == 1 and h.address.bbox[1] == 220  # grounded on the address lines


def test_name_without_legal_form_and_registration_row_before_the_address():
    items = [(200, 100, "KOH SENG HARDWARE"), (300, 150, "(1365663-P)"), (100, 200, "No. 939, Batu Lima,"),
             (100, 250, "51200 Kuala Lumpur."), (100, 300, "MALAYSIA"), (100, 350, "Tel/Fax : 603-7877 9712"),
             (200, 420, "RECEIPT")]
    h = receipt_header(PageView(page(items, size=SIZE)))
    assert h.name.value == "KOH SENG HARDWARE"
    assert h.address.value == "No. 939, Batu Lima, 51200 Kuala Lumpur., MALAYSIA"


def test_total_is_the_final_labelled_amount_the_payment_confirms():
    t = receipt_total([PageView(page(RECEIPT, size=SIZE))])
    # 'Total Amount' before rounding and the tax summary's 'Total' are not it; 20.00 - 8.05 confirms 11.95.
    assert t.value == 11.95 and t.text == "11.95" and t.confidence > 0.9


def test_total_from_the_payment_when_its_row_did_not_read():
    items = [(40, 600, "Milk"), (600, 600, "20.00"), (40, 700, "Total Sales (Inclusive of GST) :"),
             (40, 800, "CASH"), (600, 800, "20.00"), (40, 860, "Change"), (600, 860, "0.00"),
             (40, 1000, "Total:"), (600, 1000, "18.87")]
    t = receipt_total([PageView(page(items, size=SIZE))])
    assert t.value == 20.0 and t.bbox[1] == 800  # the amount tendered, no change due


def test_no_total_label_no_total():
    assert receipt_total([PageView(page([(40, 100, "Milk"), (600, 100, "2.00")], size=SIZE))]) is None


def test_amount_with_cents_split_by_ocr():
    from docpipe.structure.layout import Span, amounts_in
    from docpipe.types import Word

    words = tuple(Word(text=t, bbox=(i * 100, 0, i * 100 + 80, 30), confidence=0.9)
                  for i, t in enumerate(["Total", "RM", "30.", "70"]))
    assert [v for _, v in amounts_in(Span(1, words))] == [30.7]


def test_llm_is_not_asked_what_the_receipt_rules_read_and_keeps_their_total():
    from docpipe.structure.llm.backends import FakeBackend
    from docpipe.structure.llm.structurer import LlmStructurer

    items = RECEIPT + [(40, 700, "Sub Total"), (600, 700, "11.25"), (40, 730, "GST 6%"), (600, 730, "0.68")]
    backend = FakeBackend([{"total_tax": "0.68"}])
    inv = LlmStructurer(backend, ask="all").invoice([PageView(page(items, size=SIZE))], receipt=True).payload
    asked = set(backend.calls[0][1]["properties"])
    assert not asked & {"vendor_name", "vendor_address", "total"} and "total_tax" in asked
    assert inv.vendor.name.value == "Fresh Trading Sdn Bhd"
    # 11.25 + 0.68 = 11.93 adds up, but the payment confirms the rounded 11.95: it stays.
    assert inv.total.value == 11.95


def test_confidence_follows_the_rule_that_read_the_field():
    view = PageView(page(RECEIPT, size=SIZE))
    h, t = receipt_header(view), receipt_total([view])
    assert h.name.confidence > 0.85 and t.confidence > 0.9  # legal form; total confirmed by the payment
    no_digit = [(200, 100, "ACME Trading Sdn Bhd"), (200, 150, "formerly known as"), (200, 200, "Other Co Sdn Bhd"),
                (200, 260, "TAX INVOICE")]
    assert receipt_header(PageView(page(no_digit, size=SIZE))).address.confidence <= 0.5
