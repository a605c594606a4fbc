"""flatten: forward and backward. Chapter: docs/layers/flatten.md"""


def flatten(input, start_dim=0, end_dim=-1):
    raise NotImplementedError("flatten: being written")


def flatten_backward(grad_output, input, start_dim=0, end_dim=-1):
    raise NotImplementedError("flatten_backward: being written")
