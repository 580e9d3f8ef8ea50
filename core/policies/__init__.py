"""Policies: local (llama.cpp), cloud (Claude), teacher (reference solvers)."""
