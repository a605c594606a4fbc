# %% [markdown]
# # 练习：sigmoid、tanh 和 GELU
#
# 推导三个逐元素激活函数的梯度，
# 即[激活函数一章](../../layers/activations/)中的式 (5)、(6)、(7) 和 (8)。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
from math import erf, sqrt

import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5)) * 2
dY = rng.standard_normal(X.shape)
S = 1 / (1 + np.exp(-X))  # sigma(X)，(1)
T = np.tanh(X)  # (2)
Phi = 0.5 * (1 + np.vectorize(erf)(X / sqrt(2)))  # (3)，正态分布的累积分布函数

# %% [markdown]
# ## 1. Sigmoid

# %%
want = expected("sigmoid", dY, input=X)

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (5)
check("sigmoid", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dY * S * (1 - S)
# check("sigmoid", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. tanh

# %%
want = expected("tanh", dY, input=X)

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (6)
check("tanh", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dY * (1 - T**2)
# check("tanh", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 3. GELU
#
# $\varphi(x) = e^{-x^2/2} / \sqrt{2\pi}$ 是正态分布的概率密度函数。

# %%
want = expected("gelu", dY, input=X)

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (7)
check("gelu", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# phi = np.exp(-(X**2) / 2) / np.sqrt(2 * np.pi)
# dX = dY * (Phi + X * phi)
# check("gelu", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 4. GELU 的 tanh 近似
#
# `approximate="tanh"`：$u = \sqrt{2/\pi}\,(x + 0.044715\, x^3)$，即式 (4)。

# %%
want = expected("gelu", dY, input=X, approximate="tanh")

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (8)
check("gelu, tanh", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# u = np.sqrt(2 / np.pi) * (X + 0.044715 * X**3)
# du = np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * X**2)
# t = np.tanh(u)
# dX = dY * (0.5 * (1 + t) + 0.5 * X * (1 - t**2) * du)
# check("gelu, tanh", dX, want)
# ```
#
# </details>
