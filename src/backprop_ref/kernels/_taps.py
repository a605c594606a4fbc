"""Window arithmetic shared by the conv2d and max_pool2d kernels, along one axis.

Window i's tap p reads input row i*s + p*d - P (s stride, d dilation, P the padding before
the input), as in the lesson's _windows. Only the taps and windows that meet the input are ever
visited, so the work follows the input and the output, not the padding or the kernel size.
"""

from ..functional._windows import reaching_taps


def reaching(size, k, s, d, P, out):
    """[(p, i0, i1, r0)] for each tap p that some window places inside the input, in order:
    windows i0 <= i < i1 read an input row with it, the first of them row r0 (then r0 + s, ...).
    """
    taps = []
    for p in reaching_taps(size, k, s, d, P, out).tolist():
        i0 = max(0, -(-(P - p * d) // s))  # the first window whose row i*s + p*d - P is >= 0
        i1 = min(out, (size - 1 + P - p * d) // s + 1)  # past the last one whose row < size
        if i0 < i1:
            taps.append((p, i0, i1, i0 * s + p * d - P))
    return taps
