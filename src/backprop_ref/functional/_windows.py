"""Window geometry shared by conv2d and max_pool2d, in the chapters' letters.

Along one axis: window i (an output row) starts at input row i*s - P, and its tap p reads
input row i*s + p*d - P. s stride, d dilation, P the padding before the input.
"""

import numpy as np


# --8<-- [start:tap-rows]
def tap_rows(size, kernel, stride, dilation, P, out, taps=None):
    """h[p, i] = i*s + p*d - P, the input row tap p of window i reads, as a (taps, out) int
    array; -1 where that row is padding (outside 0 .. size-1). `taps` defaults to every tap
    0 .. kernel-1. No padded copy of the input is ever made.
    """
    p = np.arange(kernel) if taps is None else taps
    h = p[:, None] * dilation + np.arange(out) * stride - P
    return np.where((h >= 0) & (h < size), h, -1)


# --8<-- [end:tap-rows]


def reaching_taps(size, kernel, stride, dilation, P, out):
    """The taps p, in order, that can place a window's entry inside the input:
    0 <= i*s + p*d - P < size for some window i. The others read only padding, so a pooling
    loop that skips them costs the input and the output, not the kernel or the padding."""
    lo = max(0, -(-(P - (out - 1) * stride) // dilation))  # ceil division
    hi = min(kernel - 1, (size - 1 + P) // dilation)
    return np.arange(lo, hi + 1)
