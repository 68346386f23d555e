"""Sine-wave prediction in the manner of pytorch/examples' time_sequence_prediction: two stacked
LSTMCells unrolled by hand in float64, trained with LBFGS through a closure, then asked to
continue the waves for a few future steps."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def make_waves(n, length, period):
    np.random.seed(2)
    x = np.empty((n, length), "int64")
    x[:] = np.array(range(length)) + np.random.randint(-4 * period, 4 * period, n).reshape(n, 1)
    return np.sin(x / 1.0 / period).astype("float64")


class Sequence(nn.Module):
    def __init__(self, hidden=24):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3, help="steps to run")
    parser.add_argument("--length", type=int, default=30)
    parser.add_argument("--future", type=int, default=10)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    opt = parser.parse_args()
    np.random.seed(0)
    torch.manual_seed(0)
    data = make_waves(12, opt.length, 6)
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    seq = Sequence()
    seq.double()
    if opt.init_out:
        np.savez(opt.init_out, **{k: v.numpy() for k, v in seq.state_dict().items()})
    if opt.init_in:
        with np.load(opt.init_in) as f:
            seq.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=8)
    losses, test_losses = [], []
    for i in range(opt.steps):
        print("STEP: ", i)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            print("loss:", loss.item())
            losses.append(loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = opt.future
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print("test loss:", loss.item())
            test_losses.append(loss.item())
            y = pred.detach().numpy()
    print("RESULT " + json.dumps({"losses": losses, "test": test_losses, "future_tail": y[:, -3:].tolist(),
                                  "state": {k: v for k, v in optimizer.state_dict()["state"][0].items()
                                            if k in ("func_evals", "n_iter")}}))


if __name__ == "__main__":
    main()
