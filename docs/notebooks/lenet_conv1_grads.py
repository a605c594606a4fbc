# %% [markdown]
# # conv1's weight gradients as images
#
# To be written.

# %%
print("placeholder")
