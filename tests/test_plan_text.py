"""Small text on building plans read again in crops (docpipe.drawing.plan_text, docpipe.read_regions.read_plan_text):
text lines found in the ink once walls and straight lines are gone, and which reading of a line is kept.
Synthetic pages drawn here; no seed of the plan evaluation (5000 on) is used.
"""

import numpy as np
import pytest

from docpipe.drawing.plan_text import (
    better_reading,
    clean_plan_ink,
    merge_readings,
    text_line_boxes,
)
from docpipe.ocr import group_lines
from docpipe.synth.canvas import Canvas
from docpipe.synth.fonts import font
from docpipe.types import Line, Word


def _sheet():
    """A strip of a plan: a filled wall, a window tag just outside it, a dimension line with its text above,
    a room label (name over area) inside; returns the canvas and the boxes of the tag, name and area."""
    cv = Canvas(1400, 700)
    cv.rect((100, 300, 1300, 326), outline=0, fill=0, width=1)  # a filled wall, 26 px thick
    cv.line([(100, 120), (1300, 120)], width=2)  # a dimension line
    cv.line([(400, 90), (400, 340)], width=2)  # an extension line crossing the wall
    f = font("dejavu-sans", 34)
    dim = cv.text(700, 110, "3600", f, align="c")
    tag = cv.text(520, 290, "W6", font("dejavu-sans", 30), align="c")  # set against the wall
    name = cv.text(700, 470, "Küche", font("dejavu-sans", 42), align="c")
    area = cv.text(700, 520, "8,47 m²", f, align="c")
    return cv, dim, tag, name, area


def _covered(box, found, slack=12):
    return any(b[0] - slack <= box[0] and b[1] - slack <= box[1] and box[2] <= b[2] + slack
               and box[3] <= b[3] + slack for b in found)


def test_walls_and_lines_go_and_every_text_line_is_found():
    cv, dim, tag, name, area = _sheet()
    gray = np.asarray(cv.im)
    ink = clean_plan_ink(gray, 28.0)
    assert ink[305:322, 150:1250].sum() == 0  # the filled wall is gone
    assert ink[119:122, 100:380].sum() == 0 and ink[150:280, 399:402].sum() == 0  # dimension and extension lines
    found = text_line_boxes(ink, 28.0)
    for box in (dim, tag, name, area):
        assert _covered(box, found), (box, found)
    assert len(found) == 4  # no wall stub, tick or line end counts as text


def test_hatching_and_a_door_swing_are_not_text():
    cv = Canvas(1000, 600)
    box = (100, 200, 900, 226)
    cv.rect(box, outline=0, width=3)
    for x in range(100, 900, 22):  # hatching inside the wall
        cv.line([(x, 226), (x + 26, 200)], width=1)
    cv.arc((300, 250, 500, 450), 180, 270, width=2)  # a door swing
    found = text_line_boxes(clean_plan_ink(np.asarray(cv.im), 28.0), 28.0)
    assert found == []


def _w(text, box, conf=0.9):
    return Word(text=text, bbox=box, confidence=conf)


@pytest.mark.parametrize("page, crop, better", [
    ([], ["W6"], True),  # a tag the page reading lost
    (["W", "G"], ["W6"], True),  # garbled on the page
    (["Kuche"], ["Küche"], True),  # the language's letters the page reading dropped
    (["Küche"], ["Kuche"], False),
    (["Flur"], ["Fiur"], False),  # the same value: the page reading stays
    (["3600"], ["3600"], False),
    (["21,75", "m"], ["21,75", "m²"], True),  # the area's unit read in the crop
    ([], ["~", "'"], False),  # nothing a plan prints
    (["12'-6\""], ["12-6"], False),
    (["6\""], ["7'-6\""], True),  # the page reading lost the feet beside an arrowhead
    (["135"], ["1135"], True),
    (["Werkkamer", "8,71"], ["Werkkamer", "8,71", "n"], False),  # a mark read after the line
    ([("215", 0.44)], [("275", 0.96)], True),  # a line touching the digits on the page
    ([("215", 0.9)], [("275", 0.96)], False),
    ([], [("PA", 0.65)], False),  # an arrowhead read as letters
    ([("So7/t", 0.3)], [("5'-7\"", 0.83)], True),  # a length read as letters and marks: not a script's word
    ([("EG-51", 0.95)], [("F651", 0.9)], False),  # a sure plan number is not cut short into a window tag
    ([("EG-51", 0.5)], [("F651", 0.9)], True),
    (["lraum", "Ai"], ["Abstellraum"], True),  # a word in fragments where a door swing crosses it
])
def test_which_reading_of_a_line_is_kept(page, crop, better):
    def words(items):  # "text" or ("text", confidence)
        items = [(t, 0.9) if isinstance(t, str) else t for t in items]
        return [_w(t, (10 + 60 * i, 10, 60 + 60 * i, 40), c) for i, (t, c) in enumerate(items)]
    pw, cw = words(page), words(crop)
    assert better_reading(pw, cw) is better


def test_a_better_crop_reading_replaces_the_page_words_inside_it_only():
    kept = _w("Wohnen", (500, 100, 640, 130))
    lost = _w("Kuche", (100, 100, 220, 130))
    lines = group_lines([lost, kept]) + [Line(text="2950", bbox=(50, 300, 80, 400), confidence=0.9,
                                               words=[_w("2950", (50, 300, 80, 400))], angle=90.0)]
    crop = [_w("Küche", (98, 99, 221, 131), 0.93)]
    tag = [_w("F3", (300, 500, 340, 530))]
    out = merge_readings(lines, [((80, 90, 240, 140), crop), ((290, 490, 350, 540), tag),
                                 ((480, 90, 660, 140), [_w("Wohnen", (500, 100, 640, 130))])])
    texts = sorted(ln.text for ln in out)
    assert texts == ["2950", "F3", "Küche", "Wohnen"]
    assert next(ln for ln in out if ln.text == "Wohnen").words[0] is kept  # the page's own word, untouched
    assert next(ln for ln in out if ln.text == "2950").angle == 90.0


def test_a_label_crossed_by_a_door_swing_is_one_line():
    """The swing takes the letters it touches into its own blob; the two halves of the word are one crop."""
    cv = Canvas(1000, 600)
    name = cv.text(500, 300, "Abstellraum", font("dejavu-sans", 38), align="c")
    cx = (name[0] + name[2]) // 2
    cv.arc((cx - 20, 150, cx + 280, 450), 150, 250, width=2)  # crosses the word near its middle
    found = text_line_boxes(clean_plan_ink(np.asarray(cv.im), 28.0), 28.0)
    on_line = [b for b in found if b[1] < name[3] and name[1] < b[3]]
    assert len(on_line) == 1 and on_line[0][0] <= name[0] + 5 and on_line[0][2] >= name[2] - 5


def test_a_word_takes_the_crop_letters_even_where_the_rest_of_the_crop_reads_worse():
    name, area = _w("Kuche", (100, 100, 220, 130)), _w("7,97", (240, 100, 320, 130))
    unit = _w("m2", (330, 100, 370, 130))
    lines = group_lines([name, area, unit])
    crop = [_w("Küche", (99, 99, 221, 131)), _w("7,971", (239, 99, 330, 131))]  # the unit misread
    out = merge_readings(lines, [((80, 90, 400, 140), crop)])
    assert [ln.text for ln in out] == ["Küche 7,97 m2"]
    assert out[0].words[0].bbox == name.bbox and out[0].words[1] is area


def test_tag_sized_crops_are_read_again_with_the_tag_letters():
    from docpipe.drawing.plan_text import tag_reading

    box = (100, 100, 220, 140)
    assert tag_reading(box, [_w("wos", (110, 105, 200, 135))], [], 28.0) is True  # read as a word
    assert tag_reading(box, [_w("W08", (110, 105, 200, 135))], [], 28.0) is False  # a tag as printed
    assert tag_reading(box, [_w("3600", (110, 105, 200, 135))], [], 28.0) is False  # a length
    assert tag_reading((100, 100, 900, 140), [_w("wos", (110, 105, 200, 135))], [], 28.0) is False  # a long line
    again = tag_reading(box, [], [], 28.0, [_w("WO8", (110, 105, 200, 135), 0.0)])
    assert [w.text for w in again] == ["WO8"] and again[0].confidence == 0.6
    assert tag_reading(box, [], [], 28.0, [_w("W0", (110, 105, 200, 135), 0.0)]) is None  # no number: no tag


def test_read_plan_text_reads_what_the_page_reading_lost_and_respells_the_room_name():
    """The reader's pass itself (Tesseract): a page reading that lost the tag beside the wall and read the
    name without its umlaut gets both from the crops."""
    from docpipe.ocr import OcrEngine
    from docpipe.options import OcrOptions
    from docpipe.read_regions import read_plan_text

    cv, dim, _, name, area = _sheet()
    page_words = [_w("3600", dim, 0.95), _w("Kuche", name, 0.9), _w("8,47", (area[0], area[1], area[0] + 80, area[3])),
                  _w("m²", (area[2] - 40, area[1], area[2], area[3]))]
    page_words.append(_w("Schlafen", (900, 600, 1100, 640)))  # the sheet says German
    lines = read_plan_text(OcrEngine(OcrOptions()), cv.im, group_lines(page_words), 28.0)
    texts = [ln.text for ln in lines]
    assert "Küche" in texts and "W6" in texts and "3600" in texts, texts
    assert sum(t.count("8,47") for t in texts) == 1  # the area once, not once per reading


@pytest.mark.parametrize("words, lang", [
    (["Wohnen", "Kuche", "Schlafen", "21,75", "m2", "M1021"], "deu"),
    (["Sejour", "Cuisine", "Chambre", "P01"], "fra"),
    (["Woonkamer", "Keuken", "Berging"], "nld"),
    (["Living", "room", "Kitchen", "Bedroom", "W01"], "eng"),
    (["Kuche"], "eng"),  # one word is not enough to say
    (["Σαλόνι", "Κουζίνα", "24,50", "m²"], "eng"),  # a script we have no labels of
])
def test_the_language_of_a_plans_labels(words, lang):
    from docpipe.drawing.plan_language import plan_language

    assert plan_language(words) == lang


def test_a_label_the_page_reader_doubted_is_not_read_into_a_name():
    """A Greek label reads as low-confidence Latin letters on the page and more surely in the crop; neither is
    a room's name."""
    from docpipe.drawing.areas import room_name

    page = [_w("KovuZiva", (100, 100, 260, 130), 0.37), _w("5,34", (280, 100, 360, 130), 0.96)]
    crop = [_w("Kouziva", (100, 100, 260, 130), 0.84), _w("5,34", (280, 100, 360, 130), 0.96),
            _w("m2", (370, 100, 410, 130), 0.95)]
    assert better_reading(page, crop) is False
    assert room_name("KouZiva", 0.9) is None and room_name("TpaneZapia", 0.9) is None  # capitals inside a word
    assert room_name("Salle de bains", 0.9) == "Salle de bains" and room_name("WC", 0.9) == "WC"


def test_overlapping_crops_bring_the_same_words_in_once():
    tag = _w("W6", (300, 500, 340, 530))
    out = merge_readings([], [((290, 490, 350, 540), [tag]), ((280, 480, 420, 545), [_w("W6", (301, 500, 341, 530))])])
    assert [ln.text for ln in out] == ["W6"]


def test_a_word_read_the_same_in_its_crop_is_surer_and_guesses_stay_out():
    """The page read a name beside a wall at 0.4, the crop the same at 0.96: the room name is kept (names
    need 0.55). A crop word read at 0.15 (a frame beside ``1:100`` read ``4200``) is no length."""
    lines = group_lines([_w("Schlafen", (100, 100, 260, 130), 0.4)])
    out = merge_readings(lines, [((90, 90, 280, 140), [_w("Schlafen", (100, 100, 260, 130), 0.96)]),
                                 ((600, 90, 800, 140), [_w("4200", (610, 100, 700, 130), 0.15)])])
    assert [(ln.text, ln.words[0].confidence) for ln in out] == [("Schlafen", 0.96)]


def test_on_plans_the_region_reader_counts_feet_and_inches_as_read():
    """A plan's 7'-6" read by the page or its crops is a dimension read, so the detector's region reading of
    the same ink (7") does not replace it; on part drawings the grammar is the part drawings' alone."""
    from docpipe.read import _dimension_reader
    from docpipe.synth.drawing import render_drawing
    from docpipe.synth.plan import render_plan

    from .test_plans import page_of

    cv, _ = render_plan(np.random.default_rng(141), imperial=True)
    assert _dimension_reader(page_of(cv))("7'-6\"") is True
    cv, _ = render_drawing(np.random.default_rng(141))
    assert _dimension_reader(page_of(cv))("7'-6\"") is False


def test_on_imperial_sheets_only_feet_and_inches_are_lengths():
    page, crop = [_w("7263", (10, 10, 40, 120))], [_w("7'-6\"", (10, 8, 40, 122), 0.86)]
    assert better_reading(page, crop, imperial=True) is True
    assert better_reading(page, crop) is False  # on a metric sheet 7263 is a length as good as any


def test_on_imperial_sheets_a_length_the_page_read_as_letters_is_read_from_its_crop():
    """Imperial sheets: the page read a feet-and-inch string as doubted letters (``TOO!`` for ``10'-0"``,
    ``Sola`` for ``3'-11"``); its crop reads the length, even as doubtfully as Tesseract reads marks
    (``46-6"`` at 0.15). On metric sheets the doubted letters stay a script the reader cannot read, and a crop
    guess beside a page word that is a plan element stays out."""
    box = (90, 90, 300, 140)
    for page_text, crop_text, crop_conf, mm in (("TOO!", "10'-0\"", 0.7, 3048.0), ("Sola", "3-11\"", 0.0, 1193.8),
                                                ("aE", "46-6\"", 0.15, 14173.2), ("OM", "7'-O\"", 0.36, 2133.6)):
        lines = group_lines([_w(page_text, (100, 100, 200, 130), 0.1)])
        crop = [_w(crop_text, (101, 100, 201, 130), crop_conf)]
        out = merge_readings(lines, [(box, crop)], imperial=True)
        assert [ln.text for ln in out] == [crop_text]
        from docpipe.drawing.plan_dimensions import parse_plan_length, repair_imperial
        assert parse_plan_length(repair_imperial(crop_text)).mm == mm
    assert better_reading([_w("TOO!", (100, 100, 200, 130), 0.1)], [_w("10'-0\"", (101, 100, 201, 130), 0.7)]) \
        is False  # metric sheets: doubted letters are a script the reader cannot read
    assert [ln.text for ln in merge_readings(group_lines([_w("Sola", (100, 100, 200, 130), 0.1)]),
                                             [(box, [_w("3-11\"", (101, 100, 201, 130), 0.0)])])] == ["Sola"]
    lines = group_lines([_w("W1", (100, 100, 160, 130), 0.9)])  # a tag: the crop's doubted length stays out
    assert [ln.text for ln in merge_readings(lines, [(box, [_w("1'-1\"", (101, 100, 161, 130), 0.1)])],
                                             imperial=True)] == ["W1"]


def test_on_imperial_sheets_a_length_read_as_printed_beats_one_that_needs_letters_repaired():
    page, crop = [_w("9Q'-6\"", (10, 10, 90, 40), 0.33)], [_w("9'-6\"", (10, 10, 88, 40), 0.87)]
    assert better_reading(page, crop, imperial=True) is True
    assert better_reading(crop, page, imperial=True) is False
    assert better_reading([_w("9Q'-6\"", (10, 10, 90, 40), 0.95)], crop, imperial=True) is False  # surer page


def test_on_plans_a_detector_region_read_as_feet_and_inches_is_kept():
    """A vertical ``8'-6"`` the vertical pass read as letters is read again in its detector region: on plan
    pages the region reader keeps feet and inches (the part-drawing grammar alone drops them, and part
    drawings keep that grammar)."""
    from PIL import Image

    from docpipe.drawing.plan_dimensions import is_feet_inches
    from docpipe.read_regions import _crop_lines

    crop = (Image.new("L", (120, 40), 255), (500, 900, 540, 1020), lambda u, v: (v, 120 - u), 90.0)
    words = [_w("8'-6\"", (25, 25, 125, 55), 0.8)]
    assert _crop_lines(words, [crop], [20], 20, 1.0) == [[]]
    plan = _crop_lines(words, [crop], [20], 20, 1.0, reads=lambda t: is_feet_inches(t))
    assert [(ln.text, ln.angle) for ln in plan[0]] == [("8'-6\"", 90.0)]
