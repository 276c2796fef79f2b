"""A numeric date whose day and month are zero-padded differently ('4-06-19') is suspect: date printers pad
both or neither, so OCR probably lost a digit (docpipe.structure.dates.mixed_padding). Generated dates."""

import datetime as dt
import random

import pytest

from docpipe.structure.dates import mixed_padding
from docpipe.structure.invoice import extract_invoice
from docpipe.structure.layout import PageView

from .conftest import page_from_items as page


def _date(rng: random.Random) -> dt.date:
    return dt.date(2016, 1, 1) + dt.timedelta(days=rng.randint(0, 1500))


@pytest.mark.parametrize("seed", range(40))
def test_padding_rule(seed):
    rng = random.Random(seed)
    d = _date(rng)
    sep = rng.choice("-/.")
    year = rng.choice((f"{d.year}", f"{d.year % 100:02d}"))
    assert not mixed_padding(f"{d.day:02d}{sep}{d.month:02d}{sep}{year}")  # padded both
    assert not mixed_padding(f"{d.day}{sep}{d.month}{sep}{year}")  # padded neither
    if d.month < 10 and d.day >= 10:
        # the day's first digit lost: '24-06-19' read as '4-06-19'
        assert mixed_padding(f"{d.day % 10}{sep}{d.month:02d}{sep}{year}")
    if d.month >= 10 and d.day < 10:
        assert not mixed_padding(f"{d.day}{sep}{d.month}{sep}{year}")  # '7/12/2018': cannot be told


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("labelled", [True, False])
def test_a_date_with_mixed_padding_is_less_sure(seed, labelled):
    rng = random.Random(seed)
    d = _date(rng).replace(day=rng.choice([n for n in range(11, 29) if n % 10]), month=rng.randint(1, 9))
    label = "Date :" if labelled else ""

    def confidence(printed):
        items = [(40, 60, "KEDAI MAJU SDN BHD"), (40, 120, "TAX INVOICE"), (40, 180, f"{label} {printed}".strip()),
                 (40, 240, "TOTAL"), (500, 240, "12.50")]
        inv = extract_invoice([PageView(page(items, size=(700, 1400)))], receipt=True)
        return inv.invoice_date.confidence

    whole = confidence(f"{d.day:02d}-{d.month:02d}-{d.year % 100:02d}")
    lost = confidence(f"{d.day % 10}-{d.month:02d}-{d.year % 100:02d}")
    assert lost <= 0.55 * whole
