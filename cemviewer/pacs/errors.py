"""What goes wrong talking to a PACS, in words a user can act on."""

from __future__ import annotations


class PacsError(Exception):
    """The PACS could not be reached, refused, timed out, failed, or answered something unusable; the message
    names the node, what was asked and what to check."""


class PacsCancelled(Exception):
    """The user cancelled the transfer; whatever it had fetched so far is discarded."""
