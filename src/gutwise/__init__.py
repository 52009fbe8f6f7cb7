"""gutwise: screen, test, treat, track, learn and share for people with ME/CFS, honestly."""

__version__ = "0.1.0"
