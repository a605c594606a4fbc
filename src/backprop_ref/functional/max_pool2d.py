"""2-D max pooling: forward and backward. Chapter: docs/layers/max_pool2d.md"""


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    raise NotImplementedError("max_pool2d: being written")


def max_pool2d_backward(
    grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    raise NotImplementedError("max_pool2d_backward: being written")
