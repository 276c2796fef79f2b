"""The one error tree of docpipe.

Every message should tell the user what to do next. Stages raise these; the pipeline turns them into
``errors`` entries of the document record (see ``docpipe.types.ErrorRecord``) and the batch goes on.
"""

from __future__ import annotations


class DocpipeError(Exception):
    """Base class of every error docpipe raises on purpose."""

    stage: str = "pipeline"


class InputError(DocpipeError):
    """The input file cannot be read: empty, corrupt, unsupported, encrypted or too large."""

    stage = "ingest"


class ModelLoadError(DocpipeError):
    """A model file or an external program (tesseract, poppler) is missing or unusable."""

    stage = "setup"


class StageError(DocpipeError):
    """A processing stage failed on a page or document."""


class OcrError(StageError):
    stage = "ocr"


class DetectionError(StageError):
    stage = "detect"


class StructuringError(StageError):
    stage = "structure"


class TransientError(DocpipeError):
    """A failure that a retry may fix (a busy server, a timeout)."""
