"""Window geometry shared by conv2d and max_pool2d, in the chapters' letters.

Along one axis: window i (an output row) starts at input row i*s - pad, and its tap p reads
input row i*s + p*d - pad. s stride, d dilation, pad the padding before the input.
"""

import numpy as np


def tap_rows(size, kernel, stride, dilation, pad, out):
    """h[p, i] = i*s + p*d - pad, the input row tap p of window i reads, as a (kernel, out)
    int array; -1 where that row is padding (outside 0 .. size-1).

    Memory is kernel * out integers: no padded copy of the input is ever made.
    """
    h = np.arange(kernel)[:, None] * dilation + np.arange(out) * stride - pad
    return np.where((h >= 0) & (h < size), h, -1)
