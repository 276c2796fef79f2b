"""LLM structuring (issue 4): a model chooses among grounded candidates; rules are prior, fallback and judge.

Modules: :mod:`.backends` (embedded llama.cpp or transformers, OpenAI-compatible servers, a fake for tests),
:mod:`.decode` (schema-constrained decoding for the embedded model), :mod:`.engine_transformers` (the decoder
over a torch causal LM), :mod:`.candidates` (typed spans), :mod:`.prompt` (compact page view), :mod:`.schema`
(reply schema and pydantic model), :mod:`.ground` (values back to page words), :mod:`.rules` (alternatives when
a business rule fails), :mod:`.structurer` (the whole step).
"""

from __future__ import annotations

from .backends import Backend, FakeBackend, LlamaCppBackend, OpenAIBackend, TransformersBackend, check_model
from .structurer import LlmStructurer

__all__ = ["Backend", "FakeBackend", "LlamaCppBackend", "LlmStructurer", "OpenAIBackend", "TransformersBackend",
           "check_model"]
