"""Helpline: one window for every customer conversation."""

__version__ = "0.1.0"
