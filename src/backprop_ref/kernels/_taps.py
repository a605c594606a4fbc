"""Window arithmetic shared by the conv2d and max_pool2d kernels, along one axis.

Window i's tap a reads input row i*s + a*d - pad (s stride, d dilation, pad the padding before
the input). Only the taps and windows that meet the input are ever visited, so the work follows
the input and the output, not the padding or the kernel size.
"""


def reaching(size, k, s, p, d, out):
    """[(a, i0, i1, r0)] for each tap a that some window places inside the input, in order:
    windows i0 <= i < i1 read an input row with it, the first of them row r0 (then r0 + s, ...).
    """
    taps = []
    lo = max(0, -(-(p - (out - 1) * s) // d))  # the first tap any window can reach (ceil)
    hi = min(k - 1, (size - 1 + p) // d)  # the last one
    for a in range(lo, hi + 1):
        i0 = max(0, -(-(p - a * d) // s))  # the first window whose row i*s + a*d - p is >= 0
        i1 = min(out, (size - 1 + p - a * d) // s + 1)  # past the last one whose row < size
        if i0 < i1:
            taps.append((a, i0, i1, i0 * s + a * d - p))
    return taps
