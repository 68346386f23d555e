"""Chapters 12 and 13 of Raschka et al.'s "Machine Learning with PyTorch and Scikit-Learn":
linear regression from scratch (weight / bias leaves, a hand-written MSE, updates under
torch.no_grad with grad.zero_()), the same with nn.Linear, nn.MSELoss and optim.SGD over a
TensorDataset; an Iris-style classifier (Linear -> Sigmoid -> Linear -> Softmax, fed to
CrossEntropyLoss as in the book) with accuracy from argmax == y and a whole-model torch.save;
a JointDataset, random_split sizes; and the Auto-MPG regression: standardized numeric columns,
torch.bucketize of the model year, one_hot of the origin, torch.cat of the features, an
nn.Sequential built from a list of hidden units, MSE and L1 test losses."""
import argparse
import json
import pickle

import numpy as np
import torch
import torch.nn as nn
from torch.nn.functional import one_hot
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split


class Model(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_size)
        self.layer2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = self.layer1(x)
        x = nn.Sigmoid()(x)
        x = self.layer2(x)
        x = nn.Softmax(dim=1)(x)
        return x


class JointDataset(Dataset):
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return self.x[idx], self.y[idx]


def make_auto_mpg(n, rng):
    cylinders = rng.choice([4, 6, 8], n)
    displacement = cylinders * 40 + rng.normal(0, 20, n)
    horsepower = displacement * 0.45 + rng.normal(0, 8, n)
    weight = 1500 + displacement * 6 + rng.normal(0, 150, n)
    acceleration = 20 - horsepower / 20 + rng.normal(0, 1, n)
    model_year = rng.randint(70, 83, n)
    origin = rng.randint(1, 4, n)
    mpg = 45 - weight / 170 + (model_year - 70) * 0.6 + (origin - 1) * 1.5 + rng.normal(0, 1.5, n)
    numeric = np.stack([cylinders, displacement, horsepower, weight, acceleration], 1).astype(np.float64)
    return numeric, model_year, origin, mpg.astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description="ML with PyTorch, chapters 12 and 13")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    out = {}
    rng = np.random.RandomState(1)

    # Linear regression from scratch.
    X_train = np.arange(10, dtype="float32").reshape((10, 1))
    y_train = np.array([1.0, 1.3, 3.1, 2.0, 5.0, 6.3, 6.6, 7.4, 8.0, 9.0], dtype="float32")
    X_train_norm = (X_train - np.mean(X_train)) / np.std(X_train)
    X_train_norm = torch.from_numpy(X_train_norm)
    y_train = torch.from_numpy(y_train).float()
    train_ds = TensorDataset(X_train_norm, y_train)
    batch_size = 1
    train_dl = DataLoader(train_ds, batch_size, shuffle=False)

    torch.manual_seed(1)
    weight = torch.randn(1)
    weight.requires_grad_()
    bias = torch.zeros(1, requires_grad=True)
    linear = nn.Linear(1, 1)
    torch.manual_seed(1)
    iris_model = Model(4, 16, 3)
    hidden_units = [8, 4]
    input_size = 5 + 1 + 3
    all_layers = []
    for hidden_unit in hidden_units:
        layer = nn.Linear(input_size, hidden_unit)
        all_layers.append(layer)
        all_layers.append(nn.ReLU())
        input_size = hidden_unit
    all_layers.append(nn.Linear(hidden_units[-1], 1))
    mpg_model = nn.Sequential(*all_layers)
    shared = nn.ModuleDict({"linear": linear, "iris": iris_model, "mpg": mpg_model})
    if args.init_out:
        np.savez(args.init_out, weight=weight.detach().numpy(),
                 **{k: v.detach().numpy() for k, v in shared.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            with torch.no_grad():
                weight.copy_(torch.from_numpy(f["weight"]))
            shared.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files if k != "weight"})

    def loss_fn(input, target):
        return (input - target).pow(2).mean()

    def model(xb):
        return xb @ weight + bias

    learning_rate = 0.001
    scratch_losses = []
    for epoch in range(30):
        for x_batch, y_batch in train_dl:
            pred = model(x_batch)
            loss = loss_fn(pred, y_batch.long())
            loss.backward()
            with torch.no_grad():
                weight -= weight.grad * learning_rate
                bias -= bias.grad * learning_rate
                weight.grad.zero_()
                bias.grad.zero_()
        scratch_losses.append(loss.item())
    out["scratch_losses"] = scratch_losses
    out["scratch_params"] = [weight.item(), bias.item()]

    loss_fn2 = nn.MSELoss(reduction="mean")
    optimizer = torch.optim.SGD(linear.parameters(), lr=learning_rate * 10)
    nn_losses = []
    for epoch in range(30):
        for x_batch, y_batch in train_dl:
            pred = linear(x_batch)[:, 0]
            loss = loss_fn2(pred, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        nn_losses.append(loss.item())
    out["nn_losses"] = nn_losses
    out["nn_params"] = [linear.weight.item(), linear.bias.item()]

    # Iris-style: three Gaussian classes in four features, standardized by the training statistics.
    centers = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]])
    X = np.concatenate([c + 0.3 * rng.standard_normal((50, 4)) for c in centers])
    y = np.repeat(np.arange(3), 50)
    perm = rng.permutation(150)
    X_train, X_test, y_train, y_test = X[perm[:100]], X[perm[100:]], y[perm[:100]], y[perm[100:]]
    X_train_norm = (X_train - np.mean(X_train)) / np.std(X_train)
    X_train_norm = torch.from_numpy(X_train_norm).float()
    y_train = torch.from_numpy(y_train)
    train_ds = TensorDataset(X_train_norm, y_train)
    train_dl = DataLoader(train_ds, batch_size=2, shuffle=False)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(iris_model.parameters(), lr=0.001)
    num_epochs = 20
    loss_hist = [0] * num_epochs
    accuracy_hist = [0] * num_epochs
    for epoch in range(num_epochs):
        for x_batch, y_batch in train_dl:
            pred = iris_model(x_batch)
            loss = loss_fn(pred, y_batch.long())
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            loss_hist[epoch] += loss.item() * y_batch.size(0)
            is_correct = (torch.argmax(pred, dim=1) == y_batch).float()
            accuracy_hist[epoch] += is_correct.sum()
        loss_hist[epoch] /= len(train_dl.dataset)
        accuracy_hist[epoch] /= len(train_dl.dataset)
    out["iris_loss"] = loss_hist
    out["iris_acc"] = [float(a) for a in accuracy_hist]
    X_test_norm = (X_test - np.mean(X_train)) / np.std(X_train)
    X_test_norm = torch.from_numpy(X_test_norm).float()
    y_test = torch.from_numpy(y_test)
    pred_test = iris_model(X_test_norm)
    correct = (torch.argmax(pred_test, dim=1) == y_test).float()
    accuracy = correct.mean()
    out["iris_test_acc"] = accuracy.item()
    path = "iris_classifier.pt"
    torch.save(iris_model.state_dict(), path)
    model_new = Model(4, 16, 3)
    model_new.load_state_dict(torch.load(path, weights_only=True))
    out["reloaded_same"] = bool(torch.equal(model_new(X_test_norm), pred_test))
    # The book's whole-model save: since PyTorch 2.6 the load needs weights_only=False.
    torch.save(iris_model, "iris_model.pt")
    try:
        torch.load("iris_model.pt")
        out["weights_only_refused"] = False
    except pickle.UnpicklingError:
        out["weights_only_refused"] = True
    whole = torch.load("iris_model.pt", weights_only=False)
    out["whole_model"] = [type(whole).__name__, bool(torch.equal(whole(X_test_norm), pred_test))]

    # JointDataset and random_split.
    t_x = torch.from_numpy(rng.rand(4, 3).astype(np.float32))
    t_y = torch.arange(4)
    joint_dataset = JointDataset(t_x, t_y)
    out["joint"] = [[x.tolist(), y.item()] for x, y in joint_dataset]
    parts = random_split(range(10), [7, 3], generator=torch.Generator().manual_seed(42))
    out["split_sizes"] = [len(p) for p in parts]
    out["split_cover"] = sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    parts = random_split(range(10), [0.5, 0.3, 0.2])
    out["fraction_sizes"] = [len(p) for p in parts]

    # Auto MPG.
    numeric, model_year, origin, mpg = make_auto_mpg(240, rng)
    n_train = 192
    train_mean, train_std = numeric[:n_train].mean(0), numeric[:n_train].std(0, ddof=1)
    numeric_norm = (numeric - train_mean) / train_std
    boundaries = torch.tensor([73, 76, 79])
    v = torch.tensor(model_year)
    model_year_bucketed = torch.bucketize(v, boundaries, right=True)
    out["buckets"] = [torch.bincount(model_year_bucketed).tolist(), model_year_bucketed[:8].tolist(),
                      torch.bucketize(torch.tensor([72, 73, 74, 79, 80]), boundaries).tolist()]
    x_numeric = torch.cat([torch.tensor(numeric_norm), model_year_bucketed.unsqueeze(1)], 1)
    total_origin = 3
    origin_encoded = one_hot(torch.from_numpy(origin) % total_origin)
    out["one_hot"] = [list(origin_encoded.shape), str(origin_encoded.dtype)]
    x_all = torch.cat([x_numeric, origin_encoded], 1).float()
    y_all = torch.tensor(mpg).float()
    x_train, x_test, y_train, y_test = x_all[:n_train], x_all[n_train:], y_all[:n_train], y_all[n_train:]
    train_ds = TensorDataset(x_train, y_train)
    train_dl = DataLoader(train_ds, batch_size=8, shuffle=False)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(mpg_model.parameters(), lr=0.001)
    log_epochs = 10
    mpg_hist = []
    for epoch in range(args.epochs):
        loss_hist_train = 0
        for x_batch, y_batch in train_dl:
            pred = mpg_model(x_batch)[:, 0]
            loss = loss_fn(pred, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            loss_hist_train += loss.item()
        mpg_hist.append(loss_hist_train / len(train_dl))
        if epoch % log_epochs == 0:
            print(f"Epoch {epoch}  Loss {loss_hist_train / len(train_dl):.4f}")
    out["mpg_hist"] = mpg_hist
    with torch.no_grad():
        pred = mpg_model(x_test.float())[:, 0]
        loss = loss_fn(pred, y_test)
        out["mpg_test"] = [loss.item(), nn.L1Loss()(pred, y_test).item()]
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
