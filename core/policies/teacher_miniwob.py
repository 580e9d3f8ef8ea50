"""Placeholder until the MiniWoB++ reference solvers land (created by the practice-sites work)."""
