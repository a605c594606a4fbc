# %% [markdown]
# # 练习：dropout
#
# 推导 dropout 的梯度，即 [Dropout 一章](../../layers/dropout/)中的式 (3)。
# 掩码是随机抽取的，而不是由 $X$ 计算出来的：反向传播会复用它。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
p = 0.25
X = rng.standard_normal((4, 5))
mask = rng.random(X.shape) >= p  # True 表示保留；即前向传播的掩码 M
Y = X * mask / (1 - p)  # (2)
dY = rng.standard_normal(Y.shape)

# %% [markdown]
# ## 1. 训练模式

# %%
want = expected("dropout", dY, input=X, p=p, mask=mask)

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (3)
check("dropout", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dY * mask / (1 - p)
# check("dropout", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. 评估模式
#
# 当 `training=False` 时，dropout 原样返回它的输入。

# %%
want = expected("dropout", dY, input=X, p=p, training=False)

# %% tags=["exercise"]
dX = ...  # 你的代码：Y = X 的梯度
check("dropout, eval", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dY.copy()  # 直接用 dY 本身也对
# check("dropout, eval", dX, want)
# ```
#
# </details>
