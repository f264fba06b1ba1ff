"""Facilitated exercises: the play loop, decision sources and MSEL import and export."""
