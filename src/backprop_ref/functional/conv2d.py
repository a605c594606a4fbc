"""2-D convolution: forward and backward. Chapter: docs/layers/conv2d.md"""


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    raise NotImplementedError("conv2d: being written")


def conv2d_backward(
    grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1
):
    raise NotImplementedError("conv2d_backward: being written")
