"""Title-block values (docpipe.structure.drawing.title_block_choice): a cell name or a piece of a standard note is
no value, a scale reads 1:2, a sheet 1/2, a revision is a short index; the rules skip a labelled cell whose text
is no value of its field, and the model chooses only among the values (with --llm-ask all)."""

import random

import pytest

from docpipe.structure.drawing import extract_drawing, title_block_choice
from docpipe.structure.layout import PageView

from .conftest import page_from_items as page
from .gen_cases import name_words

CELL_NAMES = ["APPROVED BY", "CHECKED", "NAME", "WEIGHT", "DWG NO.", "1 OF 1", "Gezeichnet", "Geprüft", "Naam",
              "FIRST ISSUED", "SIZE"]
NOTES = [("UNLESS", "UNLESS OTHERWISE SPECIFIED"), ("DO", "DO NOT SCALE DRAWING"),
         ("ALL", "ALL DIMENSIONS ARE IN mm"), ("BREAK", "BREAK ALL SHARP EDGES"), ("THIRD", "THIRD ANGLE PROJECTION")]


@pytest.mark.parametrize("field", ["title", "company", "drawn_by", "material"])
def test_cell_names_and_pieces_of_notes_are_no_values(field):
    for name in CELL_NAMES:
        assert not title_block_choice(field, name), name
    for piece, line in NOTES:
        assert not title_block_choice(field, piece, line) and not title_block_choice(field, line), line
    rnd = random.Random(field)
    for _ in range(20):  # made-up names and materials are values
        value = name_words(rnd, (1, 3))
        assert title_block_choice(field, value, value), value
    assert title_block_choice("material", "1.4301") and not title_block_choice("title", "2024001")


def test_scale_sheet_and_revision_read_as_their_notation():
    for ok in ("1:2", "2:1", "1 : 50", "1:2.5"):
        assert title_block_choice("scale", ok), ok
    for bad in ("1 OF 1", "PAA", "eal", "11372", "1:"):
        assert not title_block_choice("scale", bad), bad
    for ok in ("1/1", "2 of 3", "1 von 2", "1 de 2"):
        assert title_block_choice("sheet", ok), ok
    for bad in ("1 of", "ay", "1:2"):
        assert not title_block_choice("sheet", bad), bad
    for ok in ("A", "B2", "02", "C.1", "0"):
        assert title_block_choice("revision", ok), ok
    for bad in ("1 VON", "ALL", "APPROVED BY", "&", "NO"):
        assert not title_block_choice("revision", bad), bad


@pytest.mark.parametrize("seed", range(4))
def test_the_rules_skip_a_labelled_cell_that_holds_no_value(seed):
    # A scale cell whose figures OCR read as letters, a sheet cell cut short: no scale and no sheet, rather than
    # the misread text; the other cells keep their values.
    rnd = random.Random(seed)
    title, maker = name_words(rnd, (1, 2)).title(), name_words(rnd, (1, 2)).title()
    items = [(1500, 3000, f"Title: {title}"), (1500, 3060, f"Drawing No.: DWG-{rnd.randrange(1000, 9999)}"),
             (1500, 3120, f"Scale: {rnd.choice(['eal', 'PAA', 'lk'])}"), (1500, 3180, "Sheet: 1 of"),
             (1500, 3240, f"Drawn by: {maker}"), (1500, 3300, "Rev: B")]
    tb = extract_drawing([PageView(page(items))]).title_block
    assert tb.scale is None and tb.sheet is None
    assert tb.title.value == title and tb.drawn_by.value == maker and tb.revision.value == "B"
