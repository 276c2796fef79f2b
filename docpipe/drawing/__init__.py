"""Drawing knowledge: what the notation on technical drawings means, one module per thing parsed.

- :mod:`.dimensions`: the dimension grammar (``Ø25 H7``, ``4x M8``, ``25.021/25.000``) into numbers;
- :mod:`.iso286`: ISO 286 limits and fits (``H7`` -> deviations);
- :mod:`.iso2768`: ISO 2768 general tolerances (title-block class -> deviations);
- :mod:`.repairs`: undoing Tesseract's confusions on dimension text (``038`` for ``Ø38``) before parsing.

Building plans: :mod:`.plan_dimensions`, :mod:`.areas`, :mod:`.tags`, :mod:`.levels`, :mod:`.chains`; where a
plan's small text is and which of two readings of it to keep (:mod:`.plan_text`, image analysis on arrays),
and the language of its labels (:mod:`.plan_language`).

The stages (``docpipe.read``, ``docpipe.structure``, ``docpipe.classify``) use these; nothing here calls OCR.
"""
