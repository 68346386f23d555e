"""Two blocks people write from papers: a sparse mixture-of-experts feed-forward (Switch/Mixtral style:
router logits, ``torch.topk`` over softmax gates renormalized, token dispatch by ``torch.where(mask)``,
``index_add_`` of weighted expert outputs, ``bincount`` of expert loads, the Switch load-balancing aux
loss and a router z-loss) and a Swin Transformer stage (window partition / reverse with
view/permute/contiguous, shifted windows by ``torch.roll``, the attention mask of the shifted windows
built by slicing an image of region ids, a relative position bias table indexed by a
``relative_position_index`` buffer made from ``torch.meshgrid(indexing="ij")``, patch merging).
Both are trained a few steps on a toy image classification task with shared initial weights."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Expert(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class SparseMoE(nn.Module):
    def __init__(self, dim, hidden, num_experts=4, top_k=2):
        super().__init__()
        self.num_experts, self.top_k = num_experts, top_k
        self.gate = nn.Linear(dim, num_experts, bias=False)
        self.experts = nn.ModuleList([Expert(dim, hidden) for _ in range(num_experts)])

    def forward(self, hidden_states):
        batch_size, sequence_length, hidden_dim = hidden_states.shape
        hidden_states = hidden_states.view(-1, hidden_dim)
        router_logits = self.gate(hidden_states)
        routing_weights = F.softmax(router_logits, dim=1, dtype=torch.float)
        routing_weights, selected_experts = torch.topk(routing_weights, self.top_k, dim=-1)
        routing_weights /= routing_weights.sum(dim=-1, keepdim=True)
        routing_weights = routing_weights.to(hidden_states.dtype)
        final_hidden_states = torch.zeros((batch_size * sequence_length, hidden_dim), dtype=hidden_states.dtype,
                                          device=hidden_states.device)
        expert_mask = F.one_hot(selected_experts, num_classes=self.num_experts).permute(2, 1, 0)
        for expert_idx in range(self.num_experts):
            expert_layer = self.experts[expert_idx]
            idx, top_x = torch.where(expert_mask[expert_idx])
            if top_x.numel() == 0:
                continue
            current_state = hidden_states[None, top_x].reshape(-1, hidden_dim)
            current_hidden_states = expert_layer(current_state) * routing_weights[top_x, idx, None]
            final_hidden_states.index_add_(0, top_x, current_hidden_states.to(hidden_states.dtype))
        final_hidden_states = final_hidden_states.reshape(batch_size, sequence_length, hidden_dim)
        return final_hidden_states, router_logits, selected_experts


def load_balancing_loss(router_logits, selected_experts, num_experts):
    """Switch Transformer: num_experts * sum_e (fraction of tokens routed to e) * (mean router prob of e)."""
    probs = F.softmax(router_logits, dim=-1)
    counts = torch.bincount(selected_experts[:, 0], minlength=num_experts).float()
    tokens_per_expert = counts / selected_experts.shape[0]
    router_prob_per_expert = probs.mean(dim=0)
    aux = num_experts * torch.sum(tokens_per_expert * router_prob_per_expert)
    z_loss = torch.logsumexp(router_logits, dim=-1).pow(2).mean()
    return aux, z_loss, counts


def window_partition(x, window_size):
    B, H, W, C = x.shape
    x = x.view(B, H // window_size, window_size, W // window_size, window_size, C)
    windows = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)
    return windows


def window_reverse(windows, window_size, H, W):
    B = int(windows.shape[0] / (H * W / window_size / window_size))
    x = windows.view(B, H // window_size, W // window_size, window_size, window_size, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, H, W, -1)
    return x


class WindowAttention(nn.Module):
    def __init__(self, dim, window_size, num_heads, qkv_bias=True):
        super().__init__()
        self.dim, self.window_size, self.num_heads = dim, window_size, num_heads
        head_dim = dim // num_heads
        self.scale = head_dim ** -0.5
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size[0] - 1) * (2 * window_size[1] - 1), num_heads))
        coords_h = torch.arange(self.window_size[0])
        coords_w = torch.arange(self.window_size[1])
        coords = torch.stack(torch.meshgrid([coords_h, coords_w], indexing="ij"))
        coords_flatten = torch.flatten(coords, 1)
        relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
        relative_coords = relative_coords.permute(1, 2, 0).contiguous()
        relative_coords[:, :, 0] += self.window_size[0] - 1
        relative_coords[:, :, 1] += self.window_size[1] - 1
        relative_coords[:, :, 0] *= 2 * self.window_size[1] - 1
        relative_position_index = relative_coords.sum(-1)
        self.register_buffer("relative_position_index", relative_position_index)
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x, mask=None):
        B_, N, C = x.shape
        qkv = self.qkv(x).reshape(B_, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * self.scale
        attn = q @ k.transpose(-2, -1)
        relative_position_bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(
            self.window_size[0] * self.window_size[1], self.window_size[0] * self.window_size[1], -1)
        relative_position_bias = relative_position_bias.permute(2, 0, 1).contiguous()
        attn = attn + relative_position_bias.unsqueeze(0)
        if mask is not None:
            nW = mask.shape[0]
            attn = attn.view(B_ // nW, nW, self.num_heads, N, N) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.num_heads, N, N)
        attn = self.softmax(attn)
        x = (attn @ v).transpose(1, 2).reshape(B_, N, C)
        return self.proj(x)


class SwinTransformerBlock(nn.Module):
    def __init__(self, dim, input_resolution, num_heads, window_size=4, shift_size=0, mlp_ratio=2.0):
        super().__init__()
        self.dim, self.input_resolution = dim, input_resolution
        self.window_size, self.shift_size = window_size, shift_size
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window_size=(window_size, window_size), num_heads=num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, int(dim * mlp_ratio)), nn.GELU(), nn.Linear(int(dim * mlp_ratio), dim))
        if self.shift_size > 0:
            H, W = self.input_resolution
            img_mask = torch.zeros((1, H, W, 1))
            h_slices = (slice(0, -self.window_size), slice(-self.window_size, -self.shift_size),
                        slice(-self.shift_size, None))
            w_slices = (slice(0, -self.window_size), slice(-self.window_size, -self.shift_size),
                        slice(-self.shift_size, None))
            cnt = 0
            for h in h_slices:
                for w in w_slices:
                    img_mask[:, h, w, :] = cnt
                    cnt += 1
            mask_windows = window_partition(img_mask, self.window_size)
            mask_windows = mask_windows.view(-1, self.window_size * self.window_size)
            attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
            attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))
        else:
            attn_mask = None
        self.register_buffer("attn_mask", attn_mask)

    def forward(self, x):
        H, W = self.input_resolution
        B, L, C = x.shape
        shortcut = x
        x = self.norm1(x).view(B, H, W, C)
        if self.shift_size > 0:
            shifted_x = torch.roll(x, shifts=(-self.shift_size, -self.shift_size), dims=(1, 2))
        else:
            shifted_x = x
        x_windows = window_partition(shifted_x, self.window_size).view(-1, self.window_size * self.window_size, C)
        attn_windows = self.attn(x_windows, mask=self.attn_mask)
        attn_windows = attn_windows.view(-1, self.window_size, self.window_size, C)
        shifted_x = window_reverse(attn_windows, self.window_size, H, W)
        if self.shift_size > 0:
            x = torch.roll(shifted_x, shifts=(self.shift_size, self.shift_size), dims=(1, 2))
        else:
            x = shifted_x
        x = shortcut + x.view(B, H * W, C)
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, input_resolution, dim):
        super().__init__()
        self.input_resolution = input_resolution
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x):
        H, W = self.input_resolution
        B, L, C = x.shape
        x = x.view(B, H, W, C)
        x0 = x[:, 0::2, 0::2, :]
        x1 = x[:, 1::2, 0::2, :]
        x2 = x[:, 0::2, 1::2, :]
        x3 = x[:, 1::2, 1::2, :]
        x = torch.cat([x0, x1, x2, x3], -1).view(B, -1, 4 * C)
        return self.reduction(self.norm(x))


class TinySwinMoE(nn.Module):
    def __init__(self, num_classes=3, dim=16):
        super().__init__()
        self.patch_embed = nn.Conv2d(1, dim, kernel_size=2, stride=2)
        self.blocks = nn.ModuleList([SwinTransformerBlock(dim, (8, 8), 2, window_size=4, shift_size=0),
                                     SwinTransformerBlock(dim, (8, 8), 2, window_size=4, shift_size=2)])
        self.merge = PatchMerging((8, 8), dim)
        self.moe = SparseMoE(2 * dim, 3 * dim, num_experts=4, top_k=2)
        self.norm = nn.LayerNorm(2 * dim)
        self.head = nn.Linear(2 * dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        for blk in self.blocks:
            x = blk(x)
        x = self.merge(x)
        moe_out, router_logits, selected = self.moe(x)
        x = x + moe_out
        x = self.norm(x).mean(1)
        return self.head(x), router_logits, selected


def make_data(n, rng):
    """16x16 images of a horizontal bar, a vertical bar or a square, at random places, with noise."""
    x = rng.normal(0, 0.1, size=(n, 1, 16, 16)).astype(np.float32)
    y = rng.randint(0, 3, size=n)
    for i in range(n):
        r, c = rng.randint(2, 12, size=2)
        if y[i] == 0:
            x[i, 0, r, 2:14] += 1
        elif y[i] == 1:
            x[i, 0, 2:14, c] += 1
        else:
            x[i, 0, r:r + 4, c:c + 4] += 1
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = TinySwinMoE()
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    rng = np.random.RandomState(0)
    blk = model.blocks[1]
    checks = {"rpi": blk.attn.relative_position_index[:3, :6].tolist(),
              "rpi_dtype": str(blk.attn.relative_position_index.dtype),
              "mask_sum": blk.attn_mask.sum().item(), "mask_shape": list(blk.attn_mask.shape),
              "buffers": sorted(n for n, _ in model.named_buffers())}
    x = torch.arange(2 * 4 * 4 * 3, dtype=torch.float32).view(2, 4, 4, 3)
    checks["partition_roundtrip"] = torch.equal(window_reverse(window_partition(x, 2), 2, 4, 4), x)
    checks["roll"] = torch.roll(x, shifts=(-1, 1), dims=(1, 2))[0, :, :, 0].tolist()
    checks["roll_flat"] = torch.roll(torch.arange(6), 2).tolist()

    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    losses, aux_losses, loads = [], [], []
    for step in range(args.steps):
        xb, yb = make_data(16, rng)
        logits, router_logits, selected = model(xb)
        ce = F.cross_entropy(logits, yb, label_smoothing=0.1)
        aux, z, counts = load_balancing_loss(router_logits, selected, model.moe.num_experts)
        loss = ce + 0.01 * aux + 1e-3 * z
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        aux_losses.append(aux.item())
        loads.append(counts.tolist())
    model.eval()
    xb, yb = make_data(32, rng)
    with torch.no_grad():
        logits, router_logits, selected = model(xb)
    acc = (logits.argmax(1) == yb).float().mean().item()
    gate_grad = model.moe.gate.weight.grad.abs().sum().item()
    result = {"losses": losses, "aux": aux_losses, "loads": loads, "acc": acc, "checks": checks,
              "gate_grad": gate_grad, "selected": selected[:6].tolist(),
              "bias_grad": model.blocks[1].attn.relative_position_bias_table.grad.abs().sum().item()}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
