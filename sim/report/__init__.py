"""Figures and reports; the only package that imports matplotlib."""
