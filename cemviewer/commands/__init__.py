"""Headless and GUI commands; each module wires the command line to the core packages."""
