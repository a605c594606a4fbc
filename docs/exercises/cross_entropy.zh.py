# %% [markdown]
# # 练习：交叉熵
#
# 推导 `F.cross_entropy` 对分数 $X$ 的梯度，
# 即[交叉熵一章](../../layers/cross_entropy/)中的融合形式 (11)：
# $dX_n = s_n (p_n \sum_c Y_{n,c} - Y_n)$，其中 $Y_n$ 是样本 $n$ 的（加权、平滑后的）目标，
# $s_n$ 是归约方式和 $dL$ 赋予它的缩放系数。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
N, C = 5, 4
X = rng.standard_normal((N, C))  # 分数（logits）
t = np.array([0, 3, 1, 1, 2])  # 每个样本的类别索引
E = np.exp(X - X.max(axis=1, keepdims=True))
P = E / E.sum(axis=1, keepdims=True)  # 沿类别做 softmax
onehot = np.eye(C)[t]  # (N, C)：每个样本的目标处为 1

# %% [markdown]
# ## 1. 对批量取平均
#
# $L = \frac1N \sum_n -\log p_{n,t_n}$，即计算图的终点（$dL = 1$）。

# %%
dL = 1.0
want = expected("cross_entropy", dL, input=X, target=t)

# %% tags=["exercise"]
dX = ...  # 你的代码：(11)，s_n = dL / N
check("cross_entropy", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dL / N * (P - onehot)
# check("cross_entropy", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. 类别权重与被忽略的目标
#
# 有类别权重 $w$ 时，平均是除以未被忽略的目标的权重之和 (2)；
# 目标为 `ignore_index` 的样本则完全得不到梯度。

# %%
w = np.array([1.0, 2.0, 0.5, 3.0])
t2 = np.array([0, 3, -100, 1, 2])  # 样本 2 被忽略（-100，torch 的默认值）
want = expected("cross_entropy", dL, input=X, target=t2, weight=w)

# %% tags=["exercise"]
dX = ...  # 你的代码：(11)，Y_n = w[t_n] onehot_n，s_n = dL / 保留的 w[t_n] 之和
check("cross_entropy, weighted", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# keep = t2 != -100
# tk = np.where(keep, t2, 0)  # 被忽略的行任取一个有效索引，下面会被屏蔽
# wt = w[tk] * keep  # w[t_n]，被忽略处为 0
# Y = wt[:, None] * np.eye(C)[tk]
# s = dL / wt.sum()
# dX = s * (P * Y.sum(axis=1, keepdims=True) - Y)
# check("cross_entropy, weighted", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 3. 标签平滑
#
# `label_smoothing=eps` 把每个独热目标与均匀分布混合 (9)：
# $\tilde y_{n,c} = (1 - \varepsilon) y_{n,c} + \varepsilon / C$。

# %%
eps = 0.1
want = expected("cross_entropy", dL, input=X, target=t, label_smoothing=eps)

# %% tags=["exercise"]
dX = ...  # 你的代码：(11)，用平滑后的目标 (9)，s_n = dL / N
check("cross_entropy, smoothed", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# Y = (1 - eps) * onehot + eps / C  # 每行之和为 1
# dX = dL / N * (P - Y)
# check("cross_entropy, smoothed", dX, want)
# ```
#
# </details>
