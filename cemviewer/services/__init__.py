"""Background workers that run the core packages for the UI and report back through Qt signals."""
