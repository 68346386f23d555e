"""A temporal convolutional network as in locuslab/TCN (``TemporalBlock`` of two dilated causal
convolutions with weight normalization, ``Chomp1d`` or ``F.pad(x, (left, 0))`` causal padding, a 1x1
downsample on the residual) written with the current ``nn.utils.parametrizations.weight_norm``
(``parametrizations.weight.original0/original1``), next to the legacy ``nn.utils.weight_norm``
(``weight_g``/``weight_v``), trained on the adding problem; and a ConvLSTM cell (Shi et al. 2015: one
convolution over ``cat([x, h])`` split by ``torch.split`` into the four gates) unrolled over a
moving-square video to predict the next frame; ``remove_parametrizations`` at the end."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrizations, parametrize


class Chomp1d(nn.Module):
    def __init__(self, chomp_size):
        super().__init__()
        self.chomp_size = chomp_size

    def forward(self, x):
        return x[:, :, :-self.chomp_size].contiguous()


class TemporalBlock(nn.Module):
    def __init__(self, n_inputs, n_outputs, kernel_size, stride, dilation, padding, dropout=0.0, legacy=False):
        super().__init__()
        wn = nn.utils.weight_norm if legacy else parametrizations.weight_norm
        self.conv1 = wn(nn.Conv1d(n_inputs, n_outputs, kernel_size, stride=stride, padding=padding,
                                  dilation=dilation))
        self.chomp1 = Chomp1d(padding)
        self.relu1 = nn.ReLU()
        self.dropout1 = nn.Dropout(dropout)
        self.conv2 = wn(nn.Conv1d(n_outputs, n_outputs, kernel_size, stride=stride, padding=0, dilation=dilation))
        self.pad2 = (kernel_size - 1) * dilation
        self.relu2 = nn.ReLU()
        self.dropout2 = nn.Dropout(dropout)
        self.net1 = nn.Sequential(self.conv1, self.chomp1, self.relu1, self.dropout1)
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.net1(x)
        out = self.dropout2(self.relu2(self.conv2(F.pad(out, (self.pad2, 0)))))
        res = x if self.downsample is None else self.downsample(x)
        return self.relu(out + res)


class TemporalConvNet(nn.Module):
    def __init__(self, num_inputs, num_channels, kernel_size=2, dropout=0.0, legacy=False):
        super().__init__()
        layers = []
        for i in range(len(num_channels)):
            dilation_size = 2 ** i
            in_channels = num_inputs if i == 0 else num_channels[i - 1]
            layers += [TemporalBlock(in_channels, num_channels[i], kernel_size, stride=1, dilation=dilation_size,
                                     padding=(kernel_size - 1) * dilation_size, dropout=dropout, legacy=legacy)]
        self.network = nn.Sequential(*layers)

    def forward(self, x):
        return self.network(x)


class TCN(nn.Module):
    def __init__(self, input_size, output_size, num_channels, kernel_size, legacy=False):
        super().__init__()
        self.tcn = TemporalConvNet(input_size, num_channels, kernel_size=kernel_size, legacy=legacy)
        self.linear = nn.Linear(num_channels[-1], output_size)
        self.linear.weight.data.normal_(0, 0.01)

    def forward(self, x):
        y1 = self.tcn(x)
        return self.linear(y1[:, :, -1])


class ConvLSTMCell(nn.Module):
    def __init__(self, input_dim, hidden_dim, kernel_size, bias=True):
        super().__init__()
        self.input_dim, self.hidden_dim = input_dim, hidden_dim
        self.padding = kernel_size[0] // 2, kernel_size[1] // 2
        self.conv = nn.Conv2d(in_channels=self.input_dim + self.hidden_dim, out_channels=4 * self.hidden_dim,
                              kernel_size=kernel_size, padding=self.padding, bias=bias)

    def forward(self, input_tensor, cur_state):
        h_cur, c_cur = cur_state
        combined = torch.cat([input_tensor, h_cur], dim=1)
        combined_conv = self.conv(combined)
        cc_i, cc_f, cc_o, cc_g = torch.split(combined_conv, self.hidden_dim, dim=1)
        i = torch.sigmoid(cc_i)
        f = torch.sigmoid(cc_f)
        o = torch.sigmoid(cc_o)
        g = torch.tanh(cc_g)
        c_next = f * c_cur + i * g
        h_next = o * torch.tanh(c_next)
        return h_next, c_next

    def init_hidden(self, batch_size, image_size):
        height, width = image_size
        return (torch.zeros(batch_size, self.hidden_dim, height, width, device=self.conv.weight.device),
                torch.zeros(batch_size, self.hidden_dim, height, width, device=self.conv.weight.device))


class NextFrame(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.cell = ConvLSTMCell(1, hidden, (3, 3))
        self.out = nn.Conv2d(hidden, 1, 1)

    def forward(self, video):
        b, t, c, h, w = video.size()
        state = self.cell.init_hidden(b, (h, w))
        outputs = []
        for step in range(t):
            state = self.cell(video[:, step], state)
            outputs.append(self.out(state[0]))
        return torch.stack(outputs, dim=1)


def adding_problem(n, length, rng):
    x = np.zeros((n, 2, length), dtype=np.float32)
    x[:, 0] = rng.uniform(0, 1, (n, length))
    y = np.zeros((n, 1), dtype=np.float32)
    for i in range(n):
        a, b = rng.choice(length, 2, replace=False)
        x[i, 1, [a, b]] = 1.0
        y[i, 0] = x[i, 0, a] + x[i, 0, b]
    return torch.from_numpy(x), torch.from_numpy(y)


def moving_squares(n, t, rng, size=8):
    v = np.zeros((n, t, 1, size, size), dtype=np.float32)
    for i in range(n):
        r, c = rng.randint(0, size - 3, 2)
        dr, dc = rng.choice([-1, 1], 2)
        for s in range(t):
            v[i, s, 0, r:r + 3, c:c + 3] = 1.0
            if not 0 <= r + dr <= size - 3:
                dr = -dr
            if not 0 <= c + dc <= size - 3:
                dc = -dc
            r, c = r + dr, c + dc
    return torch.from_numpy(v)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = TCN(2, 1, [8, 8, 8], kernel_size=3)
    legacy = TCN(2, 1, [8, 8, 8], kernel_size=3, legacy=True)
    convlstm = NextFrame()
    models = {"tcn": model, "legacy": legacy, "convlstm": convlstm}
    if args.init_out:
        np.savez(args.init_out, **{f"{m}/{k}": v.detach().numpy() for m, mod in models.items()
                                   for k, v in mod.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for m, mod in models.items():
                mod.load_state_dict({k.split("/", 1)[1]: torch.from_numpy(f[k]) for k in f.files
                                     if k.startswith(m + "/")})
    keys = {m: list(mod.state_dict().keys())[:8] for m, mod in models.items()}
    conv = model.tcn.network[0].conv1
    info = {"parametrized": parametrize.is_parametrized(conv), "param_names": [n for n, _ in conv.named_parameters()],
            "g_shape": list(conv.parametrizations.weight.original0.shape),
            "legacy_names": [n for n, _ in legacy.tcn.network[0].conv1.named_parameters()]}
    w = conv.weight
    info["norm_matches_g"] = torch.allclose(torch.linalg.vector_norm(w, dim=(1, 2)),
                                            conv.parametrizations.weight.original0.flatten(), atol=1e-6)

    rng = np.random.RandomState(0)
    histories = {}
    for name in ("tcn", "legacy"):
        m = models[name]
        opt = torch.optim.Adam(m.parameters(), lr=4e-3)
        losses = []
        drng = np.random.RandomState(1)
        for step in range(args.steps):
            x, y = adding_problem(16, 24, drng)
            loss = F.mse_loss(m(x), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
        histories[name] = losses
    g_grad = conv.parametrizations.weight.original0.grad.abs().sum().item()

    opt = torch.optim.RMSprop(convlstm.parameters(), lr=3e-3)
    video_losses = []
    for step in range(args.steps):
        video = moving_squares(4, 6, rng)
        pred = convlstm(video[:, :-1])
        loss = F.binary_cross_entropy_with_logits(pred, video[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        video_losses.append(loss.item())

    x, _ = adding_problem(4, 24, np.random.RandomState(5))
    with torch.no_grad():
        before = model(x)
        parametrize.remove_parametrizations(conv, "weight", leave_parametrized=True)
        after = model(x)
    info["removed_names"] = [n for n, _ in conv.named_parameters()]
    info["remove_diff"] = (before - after).abs().max().item()
    print("RESULT " + json.dumps({"keys": keys, "info": info, "tcn": histories["tcn"], "legacy": histories["legacy"],
                                  "g_grad": g_grad, "video": video_losses, "pred": before.flatten().tolist()}))


if __name__ == "__main__":
    main()
