"""The small-model layer, in llama-cpp-python's layering: `base` is the interface policies use
(a prompt's tokens in, a grammar-constrained generation with per-token log-probabilities out);
`llama` is the only module that imports llama_cpp, and the only one that touches its internals.
"""
