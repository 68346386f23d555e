"""Neural style transfer as the PyTorch tutorial does it (Gatys et al.): a VGG-like feature
network (an nn.Sequential, rebuilt with ContentLoss / StyleLoss modules inserted after chosen
conv layers and cut after the last of them), Gram matrices, and the input image itself
optimized by optim.LBFGS with a closure that clamps it to [0, 1]. A forward hook on the cut
model counts the feature maps it sees; the VGG weights are random here (no download)."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class ContentLoss(nn.Module):
    def __init__(self, target):
        super(ContentLoss, self).__init__()
        self.target = target.detach()

    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input


def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)


class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super(StyleLoss, self).__init__()
        self.target = gram_matrix(target_feature).detach()

    def forward(self, input):
        G = gram_matrix(input)
        self.loss = F.mse_loss(G, self.target)
        return input


class Normalization(nn.Module):
    def __init__(self, mean, std):
        super(Normalization, self).__init__()
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def forward(self, img):
        return (img - self.mean) / self.std


def vgg_features():
    cfg = [8, 8, "M", 16, 16, "M", 32]
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(c, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers)


content_layers_default = ["conv_4"]
style_layers_default = ["conv_1", "conv_2", "conv_3", "conv_4", "conv_5"]


def get_style_model_and_losses(cnn, normalization_mean, normalization_std, style_img, content_img,
                               content_layers=content_layers_default, style_layers=style_layers_default):
    normalization = Normalization(normalization_mean, normalization_std)
    content_losses, style_losses = [], []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = "conv_{}".format(i)
        elif isinstance(layer, nn.ReLU):
            name = "relu_{}".format(i)
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = "pool_{}".format(i)
        elif isinstance(layer, nn.BatchNorm2d):
            name = "bn_{}".format(i)
        else:
            raise RuntimeError("Unrecognized layer: {}".format(layer.__class__.__name__))
        model.add_module(name, layer)
        if name in content_layers:
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module("content_loss_{}".format(i), content_loss)
            content_losses.append(content_loss)
        if name in style_layers:
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module("style_loss_{}".format(i), style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
            break
    model = model[:(i + 1)]
    return model, style_losses, content_losses


def run_style_transfer(cnn, normalization_mean, normalization_std, content_img, style_img, input_img,
                       num_steps=300, style_weight=1000000, content_weight=1):
    model, style_losses, content_losses = get_style_model_and_losses(
        cnn, normalization_mean, normalization_std, style_img, content_img)
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = optim.LBFGS([input_img])
    history = []
    run = [0]
    while run[0] <= num_steps:
        def closure():
            with torch.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = 0
            content_score = 0
            for sl in style_losses:
                style_score += sl.loss
            for cl in content_losses:
                content_score += cl.loss
            style_score *= style_weight
            content_score *= content_weight
            loss = style_score + content_score
            loss.backward()
            run[0] += 1
            history.append([style_score.item(), content_score.item()])
            return style_score + content_score
        optimizer.step(closure)
    with torch.no_grad():
        input_img.clamp_(0, 1)
    return input_img, history, model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_default_device(device)
    rng = np.random.RandomState(0)
    yy, xx = np.mgrid[0:args.size, 0:args.size] / args.size
    style = np.stack([np.sin(12 * xx), np.cos(9 * yy), np.sin(7 * (xx + yy))]) * 0.5 + 0.5
    content = np.stack([(xx > 0.5) * 1.0, (yy > 0.3) * 0.8, rng.uniform(0, 1, xx.shape) * 0.2])
    style_img = torch.from_numpy(style.astype(np.float32)).unsqueeze(0)
    content_img = torch.from_numpy(content.astype(np.float32)).unsqueeze(0)
    assert style_img.size() == content_img.size(), "style and content images must be the same size"
    cnn = vgg_features().to(device).eval()
    if args.init_out:
        np.savez(args.init_out, **{k: v.numpy() for k, v in cnn.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            cnn.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    cnn_normalization_mean = torch.tensor([0.485, 0.456, 0.406])
    cnn_normalization_std = torch.tensor([0.229, 0.224, 0.225])
    input_img = content_img.clone()
    output, history, model = run_style_transfer(cnn, cnn_normalization_mean, cnn_normalization_std,
                                                content_img, style_img, input_img, num_steps=args.steps)
    seen = []
    handle = model.conv_2.register_forward_hook(lambda m, inp, out: seen.append(list(out.shape)))
    with torch.no_grad():
        model(output)
    handle.remove()
    with torch.no_grad():
        model(output)
    print("RESULT " + json.dumps({"history": history, "hook_shapes": seen, "n_layers": len(model),
                                  "names": [n for n, _ in model.named_children()],
                                  "out_range": [output.min().item(), output.max().item()],
                                  "requires_grad": [p.requires_grad for p in model.parameters()][:2]}))


if __name__ == "__main__":
    main()
