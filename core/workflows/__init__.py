"""Saved workflows: a successful episode (or a recorded demonstration) turned into steps on
elements named by role, accessible name and nearby text, replayed in a real browser with no
model; where a step no longer fits the page, the agent takes over (`replay.py`)."""
