"""Runnable demos, each started as python -m demos.<name>."""
