# %% [markdown]
# # 练习：线性层
#
# 推导 $Y = X W^\top + b$ 的三个梯度，
# 即[线性层一章](../../layers/linear/)中的式 (2)、(3) 和 (4)。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你每个梯度的结果：完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）或错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((5, 3))  # (N, in)
W = rng.standard_normal((4, 3))  # (out, in)，torch 的布局
b = rng.standard_normal(4)  # (out,)
Y = X @ W.T + b  # (1)，形状 (N, out)
dY = rng.standard_normal(Y.shape)  # 上游梯度 dL/dY，随机生成
want = expected("linear", dY, input=X, weight=W, bias=b)

# %% [markdown]
# ## 1. 一个批量的样本
#
# 每个结果的形状都与它所对应的求导对象相同：$dX$ 是 $(N, \text{in})$，
# $dW$ 是 $(\text{out}, \text{in})$，$db$ 是 $(\text{out},)$。

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (2)
dW = ...  # 你的代码：式 (3)
db = ...  # 你的代码：式 (4)
check("linear", {"input": dX, "weight": dW, "bias": db}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dY @ W
# dW = dY.T @ X
# db = dY.sum(axis=0)
# check("linear", {"input": dX, "weight": dW, "bias": db}, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. 前导维度
#
# 把线性层作用于一个序列：$X$ 是 $(B, T, \text{in})$，$Y$ 是
# $(B, T, \text{out})$。
# 权重由每个样本*以及*每个时间步共享，所以 $dW$ 和 $db$ 要对两个前导轴求和
# （这正是该章所说的陷阱：对三维数组，`dY.T` 会把三个轴全部反转）。

# %%
X3 = rng.standard_normal((2, 5, 3))  # (B, T, in)
dY3 = rng.standard_normal((2, 5, 4))  # (B, T, out)
want = expected("linear", dY3, input=X3, weight=W, bias=b)

# %% tags=["exercise"]
dX = ...  # 你的代码：对每个前导下标用 (2)
dW = ...  # 你的代码：(3)，对 B 和 T 求和
db = ...  # 你的代码：(4)，对 B 和 T 求和
check("linear, (B, T, in)", {"input": dX, "weight": dW, "bias": db}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dY3 @ W
# dY2 = dY3.reshape(-1, 4)  # 把 (B, T) 合并为一个行下标：(B*T, out)
# X2 = X3.reshape(-1, 3)  # (B*T, in)
# dW = dY2.T @ X2
# db = dY2.sum(axis=0)
# check("linear, (B, T, in)", {"input": dX, "weight": dW, "bias": db}, want)
# ```
#
# </details>
