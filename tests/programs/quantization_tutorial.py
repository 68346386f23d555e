"""Quantization the way PyTorch's tutorials teach it, in one script.

1. Dynamic quantization of an LSTM word language model (the "dynamic quantization on an LSTM
   word language model" tutorial): ``quantize_dynamic(model, {nn.LSTM, nn.Linear}, dtype=torch.qint8)``,
   the model printed, its size on disk and its loss before and after.
2. Eager-mode post-training static quantization of a small CNN with a residual add (the static
   quantization tutorial): fuse conv-bn-relu, ``get_default_qconfig('x86')``, prepare, calibrate,
   convert, evaluate.
3. Quantization-aware training of the same CNN: ``fuse_modules_qat``, ``get_default_qat_qconfig``,
   ``prepare_qat``, a few SGD steps, ``convert`` on the eval-mode model.
"""
import argparse
import copy
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import (DeQuantStub, QuantStub, convert, fuse_modules, fuse_modules_qat,
                                   get_default_qat_qconfig, get_default_qconfig, prepare, prepare_qat,
                                   quantize_dynamic)


class LSTMModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        return self.decoder(output), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size=3, stride=1):
        padding = (kernel_size - 1) // 2
        super().__init__(nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding, bias=False),
                         nn.BatchNorm2d(out_planes, momentum=0.1), nn.ReLU(inplace=False))


class Residual(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.conv = ConvBNReLU(planes, planes)
        self.skip_add = nn.quantized.FloatFunctional()

    def forward(self, x):
        return self.skip_add.add(x, self.conv(x))


class SmallNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.quant = QuantStub()
        self.features = nn.Sequential(ConvBNReLU(1, 6, stride=2), Residual(6), nn.MaxPool2d(2))
        self.fc = nn.Linear(6 * 3 * 3, 16)
        self.relu = nn.ReLU()
        self.classifier = nn.Linear(16, num_classes)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.features(x)
        x = x.reshape(x.shape[0], -1)
        x = self.classifier(self.relu(self.fc(x)))
        return self.dequant(x)

    def fuse_model(self, is_qat=False):
        fuse = fuse_modules_qat if is_qat else fuse_modules
        for m in self.modules():
            if type(m) is ConvBNReLU:
                fuse(m, ["0", "1", "2"], inplace=True)
        fuse(self, [["fc", "relu"]], inplace=True)


def print_size_of_model(model, label=""):
    torch.save(model.state_dict(), "temp.p")
    size = os.path.getsize("temp.p")
    print("model: ", label, " \t", "Size (KB):", size / 1e3)
    os.remove("temp.p")
    return size


def evaluate_lm(model, data, targets, ntokens, bptt=5):
    model.eval()
    total = 0.0
    hidden = model.init_hidden(data.size(1))
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, bptt):
            seq_len = min(bptt, data.size(0) - 1 - i)
            output, hidden = model(data[i:i + seq_len], hidden)
            total += seq_len * F.cross_entropy(output.view(-1, ntokens), targets[i:i + seq_len].reshape(-1)).item()
    return total / (data.size(0) - 1)


def state_in(model, path, write):
    if write:
        np.savez(path, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    else:
        with np.load(path) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ntokens", type=int, default=40)
    parser.add_argument("--calib-batches", type=int, default=3)
    parser.add_argument("--qat-steps", type=int, default=3)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    torch.backends.quantized.engine = "x86"
    result = {"engine": torch.backends.quantized.engine}

    # 1. Dynamic quantization of the word language model.
    ntokens = args.ntokens
    model = LSTMModel(ntoken=ntokens, ninp=16, nhid=32, nlayers=2)
    cnn = SmallNet()
    with torch.no_grad():  # calibrated batch norms, as after training
        for m in cnn.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.from_numpy(rng.uniform(-0.2, 0.2, m.num_features).astype(np.float32)))
                m.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, m.num_features).astype(np.float32)))
    if args.init_out or args.init_in:
        path = args.init_out or args.init_in
        both = nn.ModuleDict({"lm": model, "cnn": cnn})
        state_in(both, path, bool(args.init_out))
    data = torch.from_numpy(rng.randint(0, ntokens, (21, 3)))
    targets = torch.from_numpy(rng.randint(0, ntokens, (21, 3)))
    model.eval()
    quantized_model = quantize_dynamic(model, {nn.LSTM, nn.Linear}, dtype=torch.qint8)
    print(quantized_model)
    result["dynamic_repr"] = [repr(quantized_model.rnn), repr(quantized_model.decoder)]
    result["dynamic_keys"] = list(quantized_model.state_dict().keys())
    result["size_float"] = print_size_of_model(model, "fp32")
    result["size_int8"] = print_size_of_model(quantized_model, "int8")
    result["lm_loss"] = [evaluate_lm(model, data, targets, ntokens), evaluate_lm(quantized_model, data, targets,
                                                                                 ntokens)]
    hidden = quantized_model.init_hidden(3)
    out, _ = quantized_model(data[:6], hidden)
    result["lm_logits"] = out[-1].tolist()

    # 2. Post-training static quantization of the CNN.
    images = [torch.from_numpy(rng.randn(8, 1, 12, 12).astype(np.float32)) for _ in range(args.calib_batches + 1)]
    labels = [torch.from_numpy(rng.randint(0, 4, 8)) for _ in images]
    float_cnn = copy.deepcopy(cnn).eval()
    ptq = copy.deepcopy(cnn).eval()
    ptq.fuse_model()
    ptq.qconfig = get_default_qconfig("x86")
    prepare(ptq, inplace=True)
    with torch.no_grad():
        for x in images[:-1]:
            ptq(x)
    convert(ptq, inplace=True)
    print(ptq)
    test = images[-1]
    with torch.no_grad():
        result["float_out"] = float_cnn(test).tolist()
        result["ptq_out"] = ptq(test).tolist()
    result["ptq_repr"] = [repr(ptq.features[0]), repr(ptq.features[1].skip_add), repr(ptq.fc), repr(ptq.quant)]
    result["ptq_scale"] = [ptq.fc.scale, ptq.fc.zero_point, ptq.classifier.scale, ptq.classifier.zero_point]
    result["ptq_keys"] = list(ptq.state_dict().keys())

    # 3. Quantization-aware training.
    qat = copy.deepcopy(cnn)
    qat.train()
    qat.fuse_model(is_qat=True)
    qat.qconfig = get_default_qat_qconfig("x86")
    prepare_qat(qat, inplace=True)
    optimizer = torch.optim.SGD(qat.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for step in range(args.qat_steps):
        x, y = images[step % len(images)], labels[step % len(images)]
        loss = F.cross_entropy(qat(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    qat.apply(torch.ao.quantization.disable_observer)
    quantized_qat = convert(qat.eval(), inplace=False)
    with torch.no_grad():
        result["qat_out"] = quantized_qat(test).tolist()
    result["qat_losses"] = losses
    result["qat_scale"] = quantized_qat.classifier.scale
    result["qat_repr"] = repr(quantized_qat.features[0])
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
