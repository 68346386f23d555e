"""Knowledge distillation (Hinton et al., as in the PyTorch knowledge-distillation tutorial):
a teacher CNN trained first, then a small student trained on a mix of cross-entropy with
label smoothing and the temperature-softened KL divergence to the teacher's logits, written
both with log_target=False and log_target=True; the training steps use the mixed-precision
idiom (torch.autocast on the CPU with bfloat16, torch.amp.GradScaler, disabled off CUDA), with
cosine-embedding feature matching as a second distillation term."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class DeepNN(nn.Module):
    def __init__(self, num_classes=4):
        super(DeepNN, self).__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, padding=1), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(16, 16, kernel_size=3, padding=1), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.classifier = nn.Sequential(nn.Linear(256, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, num_classes))

    def forward(self, x):
        x = self.features(x)
        flattened_conv_output = torch.flatten(x, 1)
        x = self.classifier(flattened_conv_output)
        return x, flattened_conv_output


class LightNN(nn.Module):
    def __init__(self, num_classes=4):
        super(LightNN, self).__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, padding=1), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.classifier = nn.Sequential(nn.Linear(256, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, num_classes))

    def forward(self, x):
        x = self.features(x)
        flattened_conv_output = torch.flatten(x, 1)
        x = self.classifier(flattened_conv_output)
        return x, flattened_conv_output


def train(model, train_loader, epochs, learning_rate, device, use_amp):
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=learning_rate)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and device == "cuda")
    model.train()
    losses = []
    for epoch in range(epochs):
        for inputs, labels in train_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=use_amp):
                outputs, _ = model(inputs)
                loss = criterion(outputs.float(), labels)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            losses.append(loss.item())
    return losses


def train_knowledge_distillation(teacher, student, train_loader, epochs, learning_rate, T, soft_target_loss_weight,
                                 ce_loss_weight, device, log_target=False, cosine_weight=0.0):
    ce_loss = nn.CrossEntropyLoss(label_smoothing=0.1)
    kl = nn.KLDivLoss(reduction="batchmean", log_target=log_target)
    cosine_loss = nn.CosineEmbeddingLoss()
    optimizer = optim.SGD(student.parameters(), lr=learning_rate, momentum=0.9, nesterov=True)
    teacher.eval()
    student.train()
    losses = []
    for epoch in range(epochs):
        for inputs, labels in train_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            with torch.no_grad():
                teacher_logits, teacher_features = teacher(inputs)
            student_logits, student_features = student(inputs)
            if log_target:
                soft_targets = F.log_softmax(teacher_logits / T, dim=-1)
            else:
                soft_targets = nn.functional.softmax(teacher_logits / T, dim=-1)
            soft_prob = nn.functional.log_softmax(student_logits / T, dim=-1)
            soft_targets_loss = kl(soft_prob, soft_targets) * (T ** 2)
            label_loss = ce_loss(student_logits, labels)
            loss = soft_target_loss_weight * soft_targets_loss + ce_loss_weight * label_loss
            if cosine_weight:
                target = torch.ones(inputs.size(0)).to(device)
                loss = loss + cosine_weight * cosine_loss(student_features, teacher_features[:, :256], target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def test(model, test_loader, device):
    model.to(device)
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for inputs, labels in test_loader:
            inputs, labels = inputs.to(device), labels.to(device)
            outputs, _ = model(inputs)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return 100 * correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--amp", type=int, default=1)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(42)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    rng = np.random.RandomState(0)
    n = 96
    labels = rng.randint(0, 4, n)
    protos = rng.normal(0, 1, (4, 3, 16, 16)).astype(np.float32)
    images = protos[labels] + rng.normal(0, 0.8, (n, 3, 16, 16)).astype(np.float32)
    dataset = TensorDataset(torch.from_numpy(images), torch.from_numpy(labels).long())
    train_loader = DataLoader(dataset, batch_size=16, shuffle=False)
    test_loader = DataLoader(dataset, batch_size=32, shuffle=False)
    teacher, student, student_log = DeepNN().to(device), LightNN().to(device), LightNN().to(device)
    for m in (teacher, student, student_log):
        for mod in m.modules():
            if isinstance(mod, nn.Dropout):
                mod.p = 0.0
    models = {"teacher": teacher, "student": student, "student_log": student_log}
    if args.init_out:
        np.savez(args.init_out, **{f"{name}.{k}": v.numpy() for name, m in models.items()
                                   for k, v in m.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            for name, m in models.items():
                m.load_state_dict({k[len(name) + 1:]: torch.from_numpy(f[k]) for k in f.files
                                   if k.startswith(name + ".")})
    student_log.load_state_dict(student.state_dict())
    x = torch.from_numpy(images[:8])
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        out, _ = teacher(x)
        mm = torch.mm(x.flatten(1)[:, :8], x.flatten(1)[:, :8].t())
    with torch.autocast(device_type="cpu", enabled=False):
        out32, _ = teacher(x)
    teacher_losses = train(teacher, train_loader, epochs=args.epochs, learning_rate=0.002, device=device,
                           use_amp=bool(args.amp))
    teacher_acc = test(teacher, test_loader, device)
    kd = train_knowledge_distillation(teacher, student, train_loader, epochs=args.epochs, learning_rate=0.05, T=2,
                                      soft_target_loss_weight=0.25, ce_loss_weight=0.75, device=device,
                                      cosine_weight=0.1)
    kd_log = train_knowledge_distillation(teacher, student_log, train_loader, epochs=args.epochs, learning_rate=0.05,
                                          T=2, soft_target_loss_weight=0.25, ce_loss_weight=0.75, device=device,
                                          log_target=True, cosine_weight=0.1)
    print("RESULT " + json.dumps({"teacher": teacher_losses, "kd": kd, "kd_log": kd_log, "teacher_acc": teacher_acc,
                                  "student_acc": test(student, test_loader, device),
                                  "autocast_dtypes": [str(out.dtype), str(mm.dtype), str(out32.dtype)],
                                  "bf16_logits": out.float().tolist(), "fp32_logits": out32.tolist(),
                                  "autocast_enabled": torch.is_autocast_enabled()}))


if __name__ == "__main__":
    main()
