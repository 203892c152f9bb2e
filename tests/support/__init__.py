"""Shared test helpers (loopback HTTP sink, ...)."""
