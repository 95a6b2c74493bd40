"""Benchmarks: glassgrad beside micrograd 0.1.0, in one process, printing times and ratios."""
