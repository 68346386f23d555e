"""PointNet classification (fxia22/pointnet.pytorch) on synthetic point clouds: ``STN3d`` / ``STNkd`` input and
feature transforms (``Conv1d`` kernel 1, ``BatchNorm1d`` on (B, C, N), ``torch.max(x, 2, keepdim=True)[0]``,
an identity added via ``torch.from_numpy(np.eye(k).flatten()).view(1, k * k).repeat(batchsize, 1)``),
``torch.bmm`` of points with the transform, ``F.log_softmax`` + ``F.nll_loss``, the feature-transform
regularizer ``torch.mean(torch.norm(torch.bmm(trans, trans.transpose(2, 1)) - I, dim=(1, 2)))``, random
rotations about the up axis and jitter from a ``torch.Generator``, ``StepLR``, ``pred.data.max(1)[1]``
accuracy; and ``torch.linalg`` on the learned transforms (``det``, ``svd``, ``matrix_norm``)."""
import argparse
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class STNkd(nn.Module):
    def __init__(self, k=3):
        super().__init__()
        self.conv1, self.conv2, self.conv3 = nn.Conv1d(k, 16, 1), nn.Conv1d(16, 32, 1), nn.Conv1d(32, 64, 1)
        self.fc1, self.fc2, self.fc3 = nn.Linear(64, 32), nn.Linear(32, 16), nn.Linear(16, k * k)
        self.relu = nn.ReLU()
        self.bn1, self.bn2, self.bn3 = nn.BatchNorm1d(16), nn.BatchNorm1d(32), nn.BatchNorm1d(64)
        self.bn4, self.bn5 = nn.BatchNorm1d(32), nn.BatchNorm1d(16)
        self.k = k

    def forward(self, x):
        batchsize = x.size()[0]
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        x = torch.max(x, 2, keepdim=True)[0]
        x = x.view(-1, 64)
        x = F.relu(self.bn4(self.fc1(x)))
        x = F.relu(self.bn5(self.fc2(x)))
        x = self.fc3(x)
        iden = torch.from_numpy(np.eye(self.k).flatten().astype(np.float32)).view(1, self.k * self.k).repeat(
            batchsize, 1)
        x = x + iden
        return x.view(-1, self.k, self.k)


class PointNetfeat(nn.Module):
    def __init__(self, global_feat=True, feature_transform=False):
        super().__init__()
        self.stn = STNkd(k=3)
        self.conv1, self.conv2, self.conv3 = nn.Conv1d(3, 16, 1), nn.Conv1d(16, 32, 1), nn.Conv1d(32, 64, 1)
        self.bn1, self.bn2, self.bn3 = nn.BatchNorm1d(16), nn.BatchNorm1d(32), nn.BatchNorm1d(64)
        self.global_feat, self.feature_transform = global_feat, feature_transform
        if self.feature_transform:
            self.fstn = STNkd(k=16)

    def forward(self, x):
        n_pts = x.size()[2]
        trans = self.stn(x)
        x = x.transpose(2, 1)
        x = torch.bmm(x, trans)
        x = x.transpose(2, 1)
        x = F.relu(self.bn1(self.conv1(x)))
        if self.feature_transform:
            trans_feat = self.fstn(x)
            x = torch.bmm(x.transpose(2, 1), trans_feat).transpose(2, 1)
        else:
            trans_feat = None
        pointfeat = x
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        x = torch.max(x, 2, keepdim=True)[0].view(-1, 64)
        if self.global_feat:
            return x, trans, trans_feat
        x = x.view(-1, 64, 1).repeat(1, 1, n_pts)
        return torch.cat([x, pointfeat], 1), trans, trans_feat


class PointNetCls(nn.Module):
    def __init__(self, k=2, feature_transform=False):
        super().__init__()
        self.feat = PointNetfeat(global_feat=True, feature_transform=feature_transform)
        self.fc1, self.fc2, self.fc3 = nn.Linear(64, 32), nn.Linear(32, 16), nn.Linear(16, k)
        self.dropout = nn.Dropout(p=0.3)
        self.bn1, self.bn2 = nn.BatchNorm1d(32), nn.BatchNorm1d(16)

    def forward(self, x):
        x, trans, trans_feat = self.feat(x)
        x = F.relu(self.bn1(self.fc1(x)))
        x = F.relu(self.bn2(self.dropout(self.fc2(x))))
        return F.log_softmax(self.fc3(x), dim=1), trans, trans_feat


def feature_transform_regularizer(trans):
    d = trans.size()[1]
    I = torch.eye(d)[None, :, :]
    return torch.mean(torch.norm(torch.bmm(trans, trans.transpose(2, 1)) - I, dim=(1, 2)))


def make_clouds(n, pts, rng):
    labels = rng.randint(0, 3, n)
    clouds = []
    for c in labels:
        u = rng.normal(size=(pts, 3))
        if c == 0:      # sphere
            p = u / np.linalg.norm(u, axis=1, keepdims=True)
        elif c == 1:    # flat disc
            p = u * np.array([1.0, 1.0, 0.05])
        else:           # cylinder
            ang = rng.rand(pts) * 2 * np.pi
            p = np.stack([np.cos(ang), np.sin(ang), rng.rand(pts) * 2 - 1], 1)
        clouds.append(p)
    return torch.tensor(np.array(clouds), dtype=torch.float32), torch.tensor(labels)


def augment(points, g):
    theta = torch.rand(points.shape[0], generator=g) * 2 * math.pi
    c, s = torch.cos(theta), torch.sin(theta)
    zeros, ones = torch.zeros_like(c), torch.ones_like(c)
    rot = torch.stack([c, -s, zeros, s, c, zeros, zeros, zeros, ones], 1).view(-1, 3, 3)
    return torch.bmm(points, rot) + 0.02 * torch.randn(points.shape, generator=g)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--feature_transform", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    points, target = make_clouds(48, 64, rng)
    classifier = PointNetCls(k=3, feature_transform=bool(args.feature_transform))
    # SGD, not the repository's Adam: the biases in front of BatchNorm get gradients of pure round-off (~1e-9),
    # which Adam would scale up to full steps of either sign
    optimizer = torch.optim.SGD(classifier.parameters(), lr=0.01, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    g = torch.Generator().manual_seed(3)
    history = []
    for epoch in range(args.epochs):
        for i in range(2):
            pts, tgt = augment(points[i * 24:(i + 1) * 24], g).transpose(2, 1), target[i * 24:(i + 1) * 24]
            optimizer.zero_grad()
            classifier = classifier.train()
            pred, trans, trans_feat = classifier(pts)
            loss = F.nll_loss(pred, tgt)
            if args.feature_transform:
                loss += feature_transform_regularizer(trans_feat) * 0.001
            loss.backward()
            optimizer.step()
            pred_choice = pred.data.max(1)[1]
            correct = pred_choice.eq(tgt.data).cpu().sum()
            history.append([loss.item(), correct.item() / float(24)])
        scheduler.step()
    classifier.eval()
    with torch.no_grad():
        pred, trans, trans_feat = classifier(points.transpose(2, 1))
    u, s, vh = torch.linalg.svd(trans)
    print("RESULT " + json.dumps({
        "history": history, "eval_nll": F.nll_loss(pred, target).item(),
        "eval_acc": (pred.argmax(1) == target).float().mean().item(),
        "det": torch.linalg.det(trans)[:4].tolist(), "sv": s[:2].tolist(),
        "fro": torch.linalg.matrix_norm(trans_feat, ord="fro")[:4].tolist(),
        "reg": feature_transform_regularizer(trans_feat).item(), "lr": scheduler.get_last_lr(),
        "running_var": classifier.feat.bn3.running_var[:4].tolist(),
    }))


if __name__ == "__main__":
    main()
