# %% [markdown]
# # 练习：嵌入层
#
# 推导嵌入查表对其查找表 $W$ 的梯度，即[嵌入层一章](../../layers/embedding/)中的式 (2) 和 (3)。
# 被查找多次的行会收集每一次查找的梯度。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
W = rng.standard_normal((5, 3))  # (num_embeddings K, embedding_dim D)
idx = np.array([[1, 4, 1], [0, 4, 4]])  # 第 4 行：三次；第 2 行：一次也没有
Y = W[idx]  # (1)，形状 (2, 3, D)
dY = rng.standard_normal(Y.shape)

# %% [markdown]
# ## 1. 普通的查表

# %%
want = expected("embedding", dY, input=idx, weight=W)

# %% tags=["exercise"]
dW = ...  # 你的代码：式 (2)
check("embedding", {"weight": dW}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dW = np.zeros_like(W)
# np.add.at(dW, idx.ravel(), dY.reshape(-1, 3))  # 重复的行累加
# check("embedding", {"weight": dW}, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. 填充行
#
# 当 `padding_idx=4` 时，第 4 行仍会被查找，但这一行得不到梯度。

# %%
want = expected("embedding", dY, input=idx, weight=W, padding_idx=4)

# %% tags=["exercise"]
dW = ...  # 你的代码：(2)，再处理填充行
check("embedding, padding_idx=4", {"weight": dW}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dW = np.zeros_like(W)
# np.add.at(dW, idx.ravel(), dY.reshape(-1, 3))
# dW[4] = 0
# check("embedding, padding_idx=4", {"weight": dW}, want)
# ```
#
# </details>

# %% [markdown]
# ## 3. 按频率缩放
#
# 当 `scale_grad_by_freq=True` 时，每一行的和要除以该行在这次输入中出现的次数 $c_k$。

# %%
want = expected("embedding", dY, input=idx, weight=W, scale_grad_by_freq=True)

# %% tags=["exercise"]
dW = ...  # 你的代码：式 (3)
check("embedding, by frequency", {"weight": dW}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dW = np.zeros_like(W)
# np.add.at(dW, idx.ravel(), dY.reshape(-1, 3))
# count = np.bincount(idx.ravel(), minlength=5)  # c_k
# dW = dW / np.maximum(count, 1)[:, None]  # 没有用到的行：0
# check("embedding, by frequency", {"weight": dW}, want)
# ```
#
# </details>
