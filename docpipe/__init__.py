"""docpipe: offline document digitization, from scanned invoices and drawings to grounded, validated JSON."""

__version__ = "0.1.0"
