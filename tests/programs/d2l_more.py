""""Dive into Deep Learning" beyond the basics, from scratch and without the d2l package: the
preliminaries (in-place Z[:] = X + Y, A / A.sum(axis=1, keepdims=True), A.cumsum(axis=0),
detach), linear regression from scratch on synthetic data, optimisers written by hand (momentum,
AdaGrad, RMSProp, Adam with per-parameter state), the Nadaraya-Watson kernel regression with a
learned width, anchor boxes / IoU / non-maximum suppression, 2-D cross-correlation and pooling
by hand with a learned kernel, transposed convolution with a bilinear kernel, and a skip-gram with
negative sampling over masked padding."""
import argparse
import json
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def synthetic_data(w, b, num_examples, rng):
    X = torch.from_numpy(rng.normal(0, 1, (num_examples, len(w))).astype(np.float32))
    y = torch.matmul(X, w) + b
    y += torch.from_numpy(rng.normal(0, 0.01, y.shape).astype(np.float32))
    return X, y.reshape((-1, 1))


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def init_states(kind, feature_dim):
    shapes = [(feature_dim, 1), (1,)]
    if kind == 'adam':
        return [(torch.zeros(s), torch.zeros(s)) for s in shapes]
    return [torch.zeros(s) for s in shapes]


def step(kind, params, states, hyperparams):
    eps = 1e-6
    for p, s in zip(params, states):
        with torch.no_grad():
            if kind == 'sgd_momentum':
                s[:] = hyperparams['momentum'] * s + p.grad
                p[:] -= hyperparams['lr'] * s
            elif kind == 'adagrad':
                s[:] += torch.square(p.grad)
                p[:] -= hyperparams['lr'] * p.grad / torch.sqrt(s + eps)
            elif kind == 'rmsprop':
                gamma = hyperparams['gamma']
                s[:] = gamma * s + (1 - gamma) * torch.square(p.grad)
                p[:] -= hyperparams['lr'] * p.grad / torch.sqrt(s + eps)
            else:
                beta1, beta2 = 0.9, 0.999
                v, sq = s
                v[:] = beta1 * v + (1 - beta1) * p.grad
                sq[:] = beta2 * sq + (1 - beta2) * torch.square(p.grad)
                v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
                s_bias_corr = sq / (1 - beta2 ** hyperparams['t'])
                p[:] -= hyperparams['lr'] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
        p.grad.data.zero_()
    if kind == 'adam':
        hyperparams['t'] += 1


class NWKernelRegression(nn.Module):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = nn.Parameter(torch.ones((1,)) * 0.5)

    def forward(self, queries, keys, values):
        queries = queries.repeat_interleave(keys.shape[1]).reshape((-1, keys.shape[1]))
        self.attention_weights = nn.functional.softmax(-((queries - keys) * self.w) ** 2 / 2, dim=1)
        return torch.bmm(self.attention_weights.unsqueeze(1), values.unsqueeze(-1)).reshape(-1)


def multibox_prior(data, sizes, ratios):
    in_height, in_width = data.shape[-2:]
    device, num_sizes, num_ratios = data.device, len(sizes), len(ratios)
    boxes_per_pixel = (num_sizes + num_ratios - 1)
    size_tensor = torch.tensor(sizes, device=device)
    ratio_tensor = torch.tensor(ratios, device=device)
    offset_h, offset_w = 0.5, 0.5
    steps_h = 1.0 / in_height
    steps_w = 1.0 / in_width
    center_h = (torch.arange(in_height, device=device) + offset_h) * steps_h
    center_w = (torch.arange(in_width, device=device) + offset_w) * steps_w
    shift_y, shift_x = torch.meshgrid(center_h, center_w, indexing='ij')
    shift_y, shift_x = shift_y.reshape(-1), shift_x.reshape(-1)
    w = torch.cat((size_tensor * torch.sqrt(ratio_tensor[0]), sizes[0] * torch.sqrt(ratio_tensor[1:]))) \
        * in_height / in_width
    h = torch.cat((size_tensor / torch.sqrt(ratio_tensor[0]), sizes[0] / torch.sqrt(ratio_tensor[1:])))
    anchor_manipulations = torch.stack((-w, -h, w, h)).T.repeat(in_height * in_width, 1) / 2
    out_grid = torch.stack([shift_x, shift_y, shift_x, shift_y], dim=1).repeat_interleave(boxes_per_pixel, dim=0)
    output = out_grid + anchor_manipulations
    return output.unsqueeze(0)


def box_iou(boxes1, boxes2):
    def box_area(boxes):
        return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    areas1 = box_area(boxes1)
    areas2 = box_area(boxes2)
    inter_upperlefts = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    inter_lowerrights = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    inters = (inter_lowerrights - inter_upperlefts).clamp(min=0)
    inter_areas = inters[:, :, 0] * inters[:, :, 1]
    union_areas = areas1[:, None] + areas2 - inter_areas
    return inter_areas / union_areas


def assign_anchor_to_bbox(ground_truth, anchors, iou_threshold=0.5):
    num_anchors, num_gt_boxes = anchors.shape[0], ground_truth.shape[0]
    jaccard = box_iou(anchors, ground_truth)
    anchors_bbox_map = torch.full((num_anchors,), -1, dtype=torch.long)
    max_ious, indices = torch.max(jaccard, dim=1)
    anc_i = torch.nonzero(max_ious >= iou_threshold).reshape(-1)
    box_j = indices[max_ious >= iou_threshold]
    anchors_bbox_map[anc_i] = box_j
    col_discard = torch.full((num_anchors,), -1)
    row_discard = torch.full((num_gt_boxes,), -1)
    for _ in range(num_gt_boxes):
        max_idx = torch.argmax(jaccard)
        box_idx = (max_idx % num_gt_boxes).long()
        anc_idx = (max_idx / num_gt_boxes).long()
        anchors_bbox_map[anc_idx] = box_idx
        jaccard[:, box_idx] = col_discard
        jaccard[anc_idx, :] = row_discard
    return anchors_bbox_map


def nms(boxes, scores, iou_threshold):
    B = torch.argsort(scores, dim=-1, descending=True)
    keep = []
    while B.numel() > 0:
        i = B[0]
        keep.append(i)
        if B.numel() == 1:
            break
        iou = box_iou(boxes[i, :].reshape(-1, 4), boxes[B[1:], :].reshape(-1, 4)).reshape(-1)
        inds = torch.nonzero(iou <= iou_threshold).reshape(-1)
        B = B[inds + 1]
    return torch.tensor(keep)


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y


def bilinear_kernel(in_channels, out_channels, kernel_size):
    factor = (kernel_size + 1) // 2
    if kernel_size % 2 == 1:
        center = factor - 1
    else:
        center = factor - 0.5
    og = (torch.arange(kernel_size).reshape(-1, 1), torch.arange(kernel_size).reshape(1, -1))
    filt = (1 - torch.abs(og[0] - center) / factor) * (1 - torch.abs(og[1] - center) / factor)
    weight = torch.zeros((in_channels, out_channels, kernel_size, kernel_size))
    weight[range(in_channels), range(out_channels), :, :] = filt
    return weight


class SigmoidBCELoss(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, inputs, target, mask=None):
        out = nn.functional.binary_cross_entropy_with_logits(inputs, target, weight=mask, reduction="none")
        return out.mean(dim=1)


def skip_gram(center, contexts_and_negatives, embed_v, embed_u):
    v = embed_v(center)
    u = embed_u(contexts_and_negatives)
    pred = torch.bmm(v, u.permute(0, 2, 1))
    return pred


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--init-out', default=None)
    parser.add_argument('--init-in', default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    result = {}

    # ---- preliminaries
    X = torch.arange(12, dtype=torch.float32).reshape((3, 4))
    Y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    Z = torch.zeros_like(Y)
    Z[:] = X + Y
    before = id(X)
    X += Y
    result['prelim'] = [Z.sum().item(), id(X) == before, (X == Y).sum().item(),
                        (X / X.sum(axis=1, keepdims=True)).tolist(), X.cumsum(axis=0)[-1].tolist(),
                        torch.dot(X[0], Y[0]).item(), torch.mv(X, Y[0]).tolist(), torch.norm(Y).item(),
                        torch.abs(Y[0] - 3).sum().item(), X.numel(), X.sum(axis=[0, 1]).item()]
    x = torch.arange(4.0)
    x.requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    grad_ok = bool((x.grad == 4 * x).all())
    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    result['autograd'] = [grad_ok, bool((x.grad == u).all())]

    # ---- linear regression from scratch
    true_w = torch.tensor([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 200, rng)
    w = torch.from_numpy(rng.normal(0, 0.01, size=(2, 1)).astype(np.float32)).requires_grad_(True)
    b = torch.zeros(1, requires_grad=True)
    indices = list(range(200))
    order = rng.permutation(200)
    lin = []
    for epoch in range(3):
        for i in range(0, 200, 20):
            batch = torch.tensor(order[i:i + 20])
            l = squared_loss(linreg(features[batch], w, b), labels[batch])
            l.sum().backward()
            with torch.no_grad():
                for param in [w, b]:
                    param -= 0.03 * param.grad / 20
                    param.grad.zero_()
        with torch.no_grad():
            lin.append(float(squared_loss(linreg(features, w, b), labels).mean()))
    result['linreg'] = lin
    result['linreg_error'] = (true_w - w.reshape(true_w.shape)).tolist() + [(true_b - b).item()]

    # ---- optimisers by hand on the same problem
    for kind, hp in (('sgd_momentum', {'lr': 0.01, 'momentum': 0.9}), ('adagrad', {'lr': 0.1}),
                     ('rmsprop', {'lr': 0.01, 'gamma': 0.9}), ('adam', {'lr': 0.01, 't': 1})):
        w = torch.from_numpy(np.full((2, 1), 0.01, np.float32)).requires_grad_(True)
        b = torch.zeros(1, requires_grad=True)
        states = init_states(kind, 2)
        hist = []
        for epoch in range(2):
            for i in range(0, 200, 10):
                l = squared_loss(linreg(features[i:i + 10], w, b), labels[i:i + 10]).mean()
                l.backward()
                step(kind, [w, b], states, hp)
                hist.append(l.item())
        result[kind] = hist

    # ---- Nadaraya-Watson with a learned width
    x_train = torch.from_numpy(np.sort(rng.rand(30).astype(np.float32) * 5))
    y_train = 2 * torch.sin(x_train) + x_train ** 0.8 + torch.from_numpy(rng.normal(0, 0.5, 30).astype(np.float32))
    x_test = torch.arange(0, 5, 0.1)
    X_tile = x_train.repeat((30, 1))
    Y_tile = y_train.repeat((30, 1))
    keys = X_tile[(1 - torch.eye(30)).type(torch.bool)].reshape((30, -1))
    values = Y_tile[(1 - torch.eye(30)).type(torch.bool)].reshape((30, -1))
    net = NWKernelRegression()
    loss = nn.MSELoss(reduction='none')
    trainer = torch.optim.SGD(net.parameters(), lr=0.5)
    nw = []
    for epoch in range(5):
        trainer.zero_grad()
        l = loss(net(x_train, keys, values), y_train)
        l.sum().backward()
        trainer.step()
        nw.append(float(l.sum()))
    result['nw'] = nw
    result['nw_w'] = net.w.item()
    keys = x_train.repeat((len(x_test), 1))
    values = y_train.repeat((len(x_test), 1))
    y_hat = net(x_test, keys, values).unsqueeze(1).detach()
    result['nw_pred'] = y_hat[::10, 0].tolist()

    # ---- anchors, IoU, assignment, NMS
    img = torch.rand(size=(1, 3, 4, 6))
    Y = multibox_prior(img, sizes=[0.75, 0.5, 0.25], ratios=[1, 2, 0.5])
    boxes = Y.reshape(4, 6, 5, 4)
    result['anchors'] = [list(Y.shape), boxes[2, 3, 0, :].tolist()]
    ground_truth = torch.tensor([[0.1, 0.08, 0.52, 0.92], [0.55, 0.2, 0.9, 0.88]])
    anchors = torch.tensor([[0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98],
                            [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]])
    result['iou'] = box_iou(anchors, ground_truth).tolist()
    result['assign'] = assign_anchor_to_bbox(ground_truth, anchors).tolist()
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.85])
    result['nms'] = nms(anchors, scores, 0.3).tolist()

    # ---- convolutions by hand: learn an edge kernel, pool, transposed conv
    Xe = torch.ones((6, 8))
    Xe[:, 2:6] = 0
    Ke = torch.tensor([[1.0, -1.0]])
    Ye = corr2d(Xe, Ke)
    conv2d = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
    if args.init_out:
        np.save(args.init_out + '.conv.npy', conv2d.weight.detach().numpy())
    if args.init_in:
        conv2d.weight.data = torch.from_numpy(np.load(args.init_in + '.conv.npy'))
    Xe4, Ye4 = Xe.reshape((1, 1, 6, 8)), Ye.reshape((1, 1, 6, 7))
    conv = []
    for i in range(10):
        Y_hat = conv2d(Xe4)
        l = (Y_hat - Ye4) ** 2
        conv2d.zero_grad()
        l.sum().backward()
        conv2d.weight.data[:] -= 3e-2 * conv2d.weight.grad
        conv.append(l.sum().item())
    result['conv'] = conv
    result['conv_kernel'] = conv2d.weight.data.reshape((1, 2)).tolist()
    Xp = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    result['pool'] = [pool2d(Xp, (2, 2)).tolist(), pool2d(Xp, (2, 2), 'avg').tolist()]
    multi = torch.stack([corr2d(Xp, torch.ones(2, 2) * k) for k in range(3)], 0)
    result['multi'] = multi.sum(axis=(1, 2)).tolist()
    conv_trans = nn.ConvTranspose2d(3, 3, kernel_size=4, padding=1, stride=2, bias=False)
    conv_trans.weight.data.copy_(bilinear_kernel(3, 3, 4))
    img = torch.arange(48, dtype=torch.float32).reshape(1, 3, 4, 4)
    up = conv_trans(img)
    result['upsample'] = [list(up.shape), up[0, 1, 2:5, 2:5].tolist()]

    # ---- skip-gram with negative sampling over padded, masked contexts
    vocab, embed = 20, 6
    embed_v = nn.Embedding(num_embeddings=vocab, embedding_dim=embed)
    embed_u = nn.Embedding(num_embeddings=vocab, embedding_dim=embed)
    if args.init_out:
        np.savez(args.init_out, v=embed_v.weight.detach().numpy(), u=embed_u.weight.detach().numpy())
    if args.init_in:
        with np.load(args.init_in) as f:
            embed_v.weight.data.copy_(torch.from_numpy(f['v']))
            embed_u.weight.data.copy_(torch.from_numpy(f['u']))
    centers = torch.from_numpy(rng.randint(0, vocab, (8, 1)))
    cn = torch.from_numpy(rng.randint(0, vocab, (8, 5)))
    mask = torch.from_numpy((np.arange(5)[None, :] < rng.randint(2, 6, (8, 1))).astype(np.float32))
    label = torch.zeros_like(mask)
    label[:, :2] = 1
    lossf = SigmoidBCELoss()
    optimizer = torch.optim.Adam(list(embed_v.parameters()) + list(embed_u.parameters()), lr=0.05)
    sg = []
    for epoch in range(10):
        optimizer.zero_grad()
        pred = skip_gram(centers, cn, embed_v, embed_u)
        l = (lossf(pred.reshape(label.shape).float(), label.float(), mask) / mask.sum(axis=1) * mask.shape[1])
        l.sum().backward()
        optimizer.step()
        sg.append(l.sum().item())
    result['skipgram'] = sg
    W = embed_v.weight.data
    xq = W[3]
    cos = torch.mv(W, xq) / torch.sqrt(torch.sum(W * W, dim=1) * torch.sum(xq * xq) + 1e-9)
    topk = torch.topk(cos, k=4)[1].cpu().numpy().astype('int32')
    result['similar'] = topk.tolist()
    print('RESULT ' + json.dumps(result))


if __name__ == '__main__':
    main()
