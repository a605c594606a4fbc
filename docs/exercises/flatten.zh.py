# %% [markdown]
# # 练习：展平
#
# 推导 `torch.flatten` 的梯度，即[展平一章](../../layers/flatten/)中的式 (2)。
# 展平既不移动任何数，也不改变任何数，它的反向传播同样如此。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4, 5))  # (N, C, H, W)
Y = X.reshape(2, 60)  # flatten(X, 1)，(1)
dY = rng.standard_normal(Y.shape)
want = expected("flatten", dY, input=X, start_dim=1)

# %% [markdown]
# ## 1. 与 LeNet 一样，从轴 1 开始展平

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (2)
check("flatten", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dY.reshape(X.shape)
# check("flatten", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. 只展平中间的轴
#
# `flatten(X, 1, 2)` 只合并 $C$ 和 $H$：$Y$ 是 $(N, C H, W)$。

# %%
dY2 = rng.standard_normal((2, 12, 5))
want = expected("flatten", dY2, input=X, start_dim=1, end_dim=2)

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (2)
check("flatten(X, 1, 2)", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dY2.reshape(X.shape)
# check("flatten(X, 1, 2)", dX, want)
# ```
#
# </details>
