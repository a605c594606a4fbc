"""backprop-ref: numpy reference implementations of the gradients `loss.backward()` computes.

`backprop_ref.functional` mirrors `torch.nn.functional` and adds `<op>_backward`;
`backprop_ref.models` holds the networks of the walkthroughs.
"""

__version__ = "0.1.0"
