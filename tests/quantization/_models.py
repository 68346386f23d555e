"""Small models built the same way from torch and from ember, and weight copying between them."""
import numpy as np


def copy_weights(torch_model, ember_model):
    """Load the torch model's float state into the ember model (same keys)."""
    import ember
    ember_model.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in torch_model.state_dict().items()})


def word_model(lib, ntoken=30, ninp=8, nhid=12, nlayers=2):
    nn = lib.nn

    class LSTMModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = nn.LSTM(ninp, nhid, nlayers)
            self.decoder = nn.Linear(nhid, ntoken)

        def forward(self, tokens, hidden=None):
            output, hidden = self.rnn(self.encoder(tokens), hidden)
            return self.decoder(output), hidden

    return LSTMModel()


def small_cnn(lib, qlib):
    """QuantStub - conv-bn-relu - residual conv-bn-relu with FloatFunctional add - grouped strided conv-relu -
    max pool - adaptive avg pool - reshape - linear-relu - linear - DeQuantStub."""
    nn = lib.nn
    FloatFunctional = lib.ao.nn.quantized.FloatFunctional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.quant = qlib.QuantStub()
            self.conv1, self.bn1, self.relu1 = nn.Conv2d(2, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU()
            self.conv2, self.bn2, self.relu2 = nn.Conv2d(6, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU()
            self.skip_add = FloatFunctional()
            self.conv3, self.relu3 = nn.Conv2d(6, 4, 3, stride=2, groups=2), nn.ReLU()
            self.pool = nn.MaxPool2d(2, ceil_mode=False)
            self.avg = nn.AdaptiveAvgPool2d((2, 2))
            self.fc1, self.relu4 = nn.Linear(16, 12), nn.ReLU()
            self.fc2 = nn.Linear(12, 3)
            self.dequant = qlib.DeQuantStub()

        def forward(self, x):
            x = self.quant(x)
            x = self.relu1(self.bn1(self.conv1(x)))
            x = self.skip_add.add(x, self.relu2(self.bn2(self.conv2(x))))
            x = self.relu3(self.conv3(x))
            x = self.avg(x)
            x = x.reshape(x.shape[0], -1)
            x = self.fc2(self.relu4(self.fc1(x)))
            return self.dequant(x)

    return Net()


FUSE = [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "relu3"], ["fc1", "relu4"]]


def randomize_bn(torch_model, seed=0):
    """Batch-norm statistics and affine parameters away from their defaults (as after training)."""
    import torch
    rng = np.random.RandomState(seed)
    with torch.no_grad():
        for m in torch_model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, n).astype(np.float32)))
                m.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, n).astype(np.float32)))
                m.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, n).astype(np.float32)))
                m.bias.copy_(torch.from_numpy(rng.uniform(-0.2, 0.2, n).astype(np.float32)))
