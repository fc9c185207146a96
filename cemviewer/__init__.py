"""cemviewer: a workstation for reviewing contrast-enhanced mammography (CEM)."""

__version__ = "0.1.0"
