"""The transfer-learning tutorial ("fine-tuning the ConvNet as fixed feature extractor"):
an ImageFolder tree of PNGs (written here with PIL: train/ and val/ with one folder per class),
transforms (RandomResizedCrop, RandomHorizontalFlip, ToTensor, Normalize), DataLoaders with
num_workers and pin_memory, a torchvision ResNet with its parameters frozen by
requires_grad_(False) and a new model.fc, SGD over model.fc only, lr_scheduler.StepLR, the
best model tracked with copy.deepcopy(model.state_dict()), saved with torch.save and restored
with torch.load; then whole-model fine-tuning from it with a smaller learning rate."""
import argparse
import copy
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from PIL import Image
from torch.optim import lr_scheduler
from torchvision import datasets, models, transforms


def write_image_folder(root, rng, n_per_class=12, size=40):
    classes = ["ants", "bees"]
    for phase, n in (("train", n_per_class), ("val", n_per_class // 2)):
        for c, name in enumerate(classes):
            os.makedirs(os.path.join(root, phase, name), exist_ok=True)
            for i in range(n):
                img = rng.normal(0.4, 0.15, (size, size, 3))
                yy, xx = np.mgrid[0:size, 0:size]
                if c == 0:
                    img[((yy // 5) % 2) == 0] += [0.4, 0.1, 0.0]
                else:
                    img[((xx // 5) % 2) == 0] += [0.0, 0.2, 0.4]
                Image.fromarray(np.clip(img * 255, 0, 255).astype(np.uint8)).save(
                    os.path.join(root, phase, name, f"{i:03d}.png"))


def train_model(model, criterion, optimizer, scheduler, dataloaders, dataset_sizes, device, num_epochs=2):
    since = time.time()
    best_model_params_path = os.path.join("best_model_params.pt")
    torch.save(model.state_dict(), best_model_params_path)
    best_acc = 0.0
    best_wts = copy.deepcopy(model.state_dict())
    history = []
    for epoch in range(num_epochs):
        for phase in ["train", "val"]:
            if phase == "train":
                model.train()
            else:
                model.eval()
            running_loss = 0.0
            running_corrects = 0
            for inputs, labels in dataloaders[phase]:
                inputs = inputs.to(device)
                labels = labels.to(device)
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == labels.data)
            if phase == "train":
                scheduler.step()
            epoch_loss = running_loss / dataset_sizes[phase]
            epoch_acc = running_corrects.double() / dataset_sizes[phase]
            history.append([phase, epoch_loss, epoch_acc.item()])
            if phase == "val" and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_wts = copy.deepcopy(model.state_dict())
                torch.save(model.state_dict(), best_model_params_path)
    time_elapsed = time.time() - since
    print(f"Training complete in {time_elapsed // 60:.0f}m {time_elapsed % 60:.0f}s")
    model.load_state_dict(torch.load(best_model_params_path, weights_only=True))
    same = all(torch.equal(best_wts[k], v) for k, v in model.state_dict().items())
    return model, history, float(best_acc), same


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--augment", type=int, default=1)
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    write_image_folder("hymenoptera_data", np.random.RandomState(0))
    data_transforms = {
        "train": transforms.Compose([
            transforms.RandomResizedCrop(args.size, scale=(0.5, 1.0)),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]),
        "val": transforms.Compose([
            transforms.Resize(36),
            transforms.CenterCrop(args.size),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]),
    }
    data_dir = "hymenoptera_data"
    if not args.augment:
        data_transforms["train"] = data_transforms["val"]
    image_datasets = {x: datasets.ImageFolder(os.path.join(data_dir, x), data_transforms[x]) for x in ["train", "val"]}
    dataloaders = {x: torch.utils.data.DataLoader(image_datasets[x], batch_size=8,
                                                  shuffle=(x == "train" and not args.no_shuffle),
                                                  num_workers=args.workers if x == "train" else 0,
                                                  pin_memory=torch.cuda.is_available())
                   for x in ["train", "val"]}
    dataset_sizes = {x: len(image_datasets[x]) for x in ["train", "val"]}
    class_names = image_datasets["train"].classes
    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    inputs, classes = next(iter(dataloaders["train"]))
    augmented = data_transforms["train"](Image.open(image_datasets["train"].samples[0][0]).convert("RGB"))

    model_conv = models.resnet18(weights=None)
    for param in model_conv.parameters():
        param.requires_grad = False
    num_ftrs = model_conv.fc.in_features
    model_conv.fc = nn.Linear(num_ftrs, 2)
    if args.init_in:
        with np.load(args.init_in) as f:
            model_conv.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    model_conv = model_conv.to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=0.01, momentum=0.9)
    exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=1, gamma=0.1)
    n_trainable = sum(p.numel() for p in model_conv.parameters() if p.requires_grad)
    model_conv, history, best_acc, same = train_model(model_conv, criterion, optimizer_conv, exp_lr_scheduler,
                                                      dataloaders, dataset_sizes, device, num_epochs=args.epochs)
    frozen_grad = model_conv.conv1.weight.grad is None

    # fine-tune everything from the best fixed-feature model
    model_conv.requires_grad_(True)
    optimizer_ft = optim.SGD([{"params": model_conv.fc.parameters(), "lr": 1e-3},
                              {"params": [p for n, p in model_conv.named_parameters() if not n.startswith("fc.")]}],
                             lr=1e-4, momentum=0.9)
    ft_scheduler = lr_scheduler.StepLR(optimizer_ft, step_size=7, gamma=0.1)
    model_conv, ft_history, _, _ = train_model(model_conv, criterion, optimizer_ft, ft_scheduler, dataloaders,
                                               dataset_sizes, device, num_epochs=1)
    print("RESULT " + json.dumps({
        "classes": class_names, "sizes": dataset_sizes, "batch": list(inputs.shape), "batch_labels": len(classes),
        "augmented": [list(augmented.shape), str(augmented.dtype).replace("ember", "torch")],
        "class_to_idx": image_datasets["train"].class_to_idx, "n_samples": len(image_datasets["train"].samples),
        "n_trainable": n_trainable, "history": history, "ft_history": ft_history, "best_acc": best_acc,
        "reloaded_best": same, "frozen_grad_none": frozen_grad,
        "lrs": [g["lr"] for g in optimizer_ft.param_groups], "conv_lr": optimizer_conv.param_groups[0]["lr"]}))


if __name__ == "__main__":
    main()
