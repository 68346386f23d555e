"""Multi-step time-series forecasting in the manner of the "LSTM/CNN forecasting in PyTorch" blog
tutorials: a noisy seasonal series, min-max scaled, cut into sliding windows with Tensor.unfold,
a chronological train/validation split, a Dataset over the windows, a Conv1d + LSTM forecaster
(weights initialized with xavier_uniform_ and orthogonal_), HuberLoss, Adam with
ReduceLROnPlateau on the validation loss, early stopping that keeps the best state_dict with
copy.deepcopy, and an autoregressive rollout under torch.no_grad."""
import argparse
import copy
import json

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class WindowDataset(Dataset):
    def __init__(self, series, window, horizon):
        windows = series.unfold(0, window + horizon, 1)          # (n, window + horizon)
        self.x = windows[:, :window].unsqueeze(-1)               # (n, window, 1)
        self.y = windows[:, window:]                             # (n, horizon)

    def __len__(self):
        return self.x.size(0)

    def __getitem__(self, idx):
        return self.x[idx], self.y[idx]


class ConvLSTMForecaster(nn.Module):
    def __init__(self, horizon, channels=16, hidden=32):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(1, channels, kernel_size=5, padding=2), nn.ReLU(),
                                  nn.Conv1d(channels, channels, kernel_size=3, padding="same"), nn.ReLU())
        self.lstm = nn.LSTM(channels, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, horizon)
        for name, param in self.lstm.named_parameters():
            if "weight_ih" in name:
                nn.init.xavier_uniform_(param.data)
            elif "weight_hh" in name:
                nn.init.orthogonal_(param.data)
            elif "bias" in name:
                param.data.fill_(0)
                n = param.size(0)
                param.data[n // 4:n // 2].fill_(1.0)  # forget-gate bias

    def forward(self, x):                                        # x: (batch, window, 1)
        z = self.conv(x.permute(0, 2, 1)).permute(0, 2, 1)       # (batch, window, channels)
        out, (h_n, c_n) = self.lstm(z)
        return self.head(out[:, -1, :])


def main():
    parser = argparse.ArgumentParser(description="Conv1d + LSTM forecaster")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--window", type=int, default=24)
    parser.add_argument("--horizon", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--patience", type=int, default=1)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(42)
    rng = np.random.RandomState(0)
    t = np.arange(400)
    raw = 10 + 0.002 * t + 3 * np.sin(2 * np.pi * t / 24) + np.sin(2 * np.pi * t / 7) + 0.3 * rng.randn(len(t))
    series = torch.tensor(raw, dtype=torch.float32)
    split = int(len(series) * 0.8)
    lo, hi = series[:split].min(), series[:split].max()
    scaled = (series - lo) / (hi - lo)
    train_ds = WindowDataset(scaled[:split], args.window, args.horizon)
    val_ds = WindowDataset(scaled[split - args.window:], args.window, args.horizon)
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=False, drop_last=True)
    val_loader = DataLoader(val_ds, batch_size=64)

    model = ConvLSTMForecaster(args.horizon)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    criterion = nn.HuberLoss(delta=0.1)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=0)

    best_val, best_state, bad_epochs = float("inf"), None, 0
    history, lrs, stopped = [], [], None
    for epoch in range(args.epochs):
        model.train()
        train_loss = 0.0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            train_loss += loss.item() * xb.size(0)
        train_loss /= len(train_loader.dataset)
        model.eval()
        with torch.no_grad():
            val_loss = sum(criterion(model(xb), yb).item() * xb.size(0) for xb, yb in val_loader) / len(val_ds)
        scheduler.step(val_loss)
        history.append([train_loss, val_loss])
        lrs.append(optimizer.param_groups[0]["lr"])
        print(f"epoch {epoch} train {train_loss:.5f} val {val_loss:.5f} lr {lrs[-1]:.1e}")
        if val_loss < best_val - 1e-5:
            best_val, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            bad_epochs += 1
            if bad_epochs >= args.patience:
                stopped = epoch
                break
    model.load_state_dict(best_state)
    model.eval()

    with torch.no_grad():
        preds = torch.cat([model(xb) for xb, _ in val_loader])
        targets = torch.cat([yb for _, yb in val_loader])
        mse = nn.MSELoss()(preds * (hi - lo) + lo, targets * (hi - lo) + lo).item()
        mae = nn.functional.l1_loss(preds * (hi - lo) + lo, targets * (hi - lo) + lo).item()
        window = scaled[split - args.window:split].clone().view(1, -1, 1)
        rollout = []
        for _ in range(3):
            step = model(window)
            rollout.append(step)
            window = torch.cat([window[:, args.horizon:], step.unsqueeze(-1)], dim=1)
        rollout = (torch.cat(rollout, dim=1) * (hi - lo) + lo).squeeze(0)
    print("RESULT " + json.dumps({"history": history, "lrs": lrs, "best_val": best_val, "stopped": stopped,
                                  "mse": mse, "mae": mae, "rollout": rollout.tolist(),
                                  "n_windows": [len(train_ds), len(val_ds)]}))


if __name__ == "__main__":
    main()
