"""Routers decide which seat answers a step; one loop, many routers.

`base`: the Router protocol, Decision and the single-seat router (`local` mode).
`seats`: the large seat's types: a `CloudSeat` that sends payloads, an `OfflineSeat` that runs
on this machine (the reference solvers in benchmarks).
`privacy`: the privacy-aware router (`cloud`, `hybrid`, `hybrid-redact`), over the boundary.
"""
