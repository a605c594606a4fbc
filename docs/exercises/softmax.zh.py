# %% [markdown]
# # 练习：softmax 与 log-softmax
#
# 推导沿某一轴的 softmax 和 log-softmax 的梯度，
# 即 [softmax 一章](../../layers/softmax/)中的式 (3) 和 (6)。
# 不要构造雅可比矩阵 (2)：它与上游梯度的乘积有一行就能写出的形式。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5))  # 4 行，每行 5 个分数；沿 dim=1 做 softmax
E = np.exp(X - X.max(axis=1, keepdims=True))
P = E / E.sum(axis=1, keepdims=True)  # (1)，每行之和为 1

# %% [markdown]
# ## 1. Softmax
#
# $dP$ 是 $P$ 的上游梯度；$\langle dP, P \rangle$ 每行一个数。

# %%
dP = rng.standard_normal(P.shape)
want = expected("softmax", dP, input=X, dim=1)

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (3)
check("softmax", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = P * (dP - (dP * P).sum(axis=1, keepdims=True))
# check("softmax", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Log-softmax
#
# 现在 $Y = \log P$，$dY$ 是它的上游梯度。

# %%
dY = rng.standard_normal(P.shape)
want = expected("log_softmax", dY, input=X, dim=1)

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (6)
check("log_softmax", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dY - P * dY.sum(axis=1, keepdims=True)
# check("log_softmax", dX, want)
# ```
#
# </details>
