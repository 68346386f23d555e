"""Appendix E of Raschka's "Build a Large Language Model (From Scratch)": parameter-efficient
fine-tuning of the chapter-6 spam classifier with LoRA. LoRALayer (A from kaiming_uniform_ with
a=sqrt(5), B zeros, alpha * x @ A @ B), LinearWithLoRA wrapping each nn.Linear, and
replace_linear_with_lora recursing over named_children with setattr; counting trainable
parameters before and after freezing, the unchanged output at B = 0, training only A and B,
and LinearWithLoRAMerged (weight + alpha * (A @ B).T through F.linear) giving the same logits."""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llms_gpt_pretrain import GPTModel  # noqa: E402
from llms_spam_finetune import (BASE_CONFIG, SpamDataset, calc_accuracy_loader, calc_loss_loader,  # noqa: E402
                                fake_gpt2_params, load_weights_into_gpt, train_classifier_simple,
                                write_sms_csvs)


class LoRALayer(torch.nn.Module):
    def __init__(self, in_dim, out_dim, rank, alpha):
        super().__init__()
        self.A = torch.nn.Parameter(torch.empty(in_dim, rank))
        torch.nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.B = torch.nn.Parameter(torch.zeros(rank, out_dim))
        self.alpha = alpha

    def forward(self, x):
        x = self.alpha * (x @ self.A @ self.B)
        return x


class LinearWithLoRA(torch.nn.Module):
    def __init__(self, linear, rank, alpha):
        super().__init__()
        self.linear = linear
        self.lora = LoRALayer(linear.in_features, linear.out_features, rank, alpha)

    def forward(self, x):
        return self.linear(x) + self.lora(x)


class LinearWithLoRAMerged(torch.nn.Module):
    def __init__(self, linear, rank, alpha):
        super().__init__()
        self.linear = linear
        self.lora = LoRALayer(linear.in_features, linear.out_features, rank, alpha)

    def forward(self, x):
        lora = self.lora.A @ self.lora.B
        combined_weight = self.linear.weight + self.lora.alpha * lora.T
        return F.linear(x, combined_weight, self.linear.bias)


def replace_linear_with_lora(model, rank, alpha, cls=LinearWithLoRA):
    for name, module in model.named_children():
        if isinstance(module, torch.nn.Linear):
            setattr(model, name, cls(module, rank, alpha))
        else:
            replace_linear_with_lora(module, rank, alpha, cls)


def main():
    parser = argparse.ArgumentParser(description="LLMs from scratch, appendix E")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    device = torch.device("cpu")
    out = {}

    write_sms_csvs(".")
    train_dataset = SpamDataset("train.csv", max_length=None)
    val_dataset = SpamDataset("validation.csv", max_length=train_dataset.max_length)
    test_dataset = SpamDataset("test.csv", max_length=train_dataset.max_length)
    train_loader = DataLoader(train_dataset, batch_size=8, shuffle=False, drop_last=True)
    val_loader = DataLoader(val_dataset, batch_size=8, drop_last=False)
    test_loader = DataLoader(test_dataset, batch_size=8, drop_last=False)

    model = GPTModel(BASE_CONFIG)
    load_weights_into_gpt(model, fake_gpt2_params(BASE_CONFIG))
    torch.manual_seed(123)
    num_classes = 2
    model.out_head = torch.nn.Linear(in_features=BASE_CONFIG["emb_dim"], out_features=num_classes)
    model.to(device)
    model.eval()

    total_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    for param in model.parameters():
        param.requires_grad = False
    frozen_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    with torch.no_grad():
        before = model(torch.tensor([list(b"FREE entry call now")]))[:, -1, :]
    replace_linear_with_lora(model, rank=4, alpha=8)
    lora_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    out["param_counts"] = [total_params, frozen_params, lora_params]
    out["replaced"] = sorted({type(m).__name__ for m in model.modules()})
    out["lora_keys"] = [k for k in model.state_dict() if k.startswith("trf_blocks.0.")]
    # Shared initial weights, written after the replacement: the A matrices and the new head.
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    with torch.no_grad():
        after = model(torch.tensor([list(b"FREE entry call now")]))[:, -1, :]
    out["same_at_b_zero"] = bool(torch.allclose(before, after, atol=1e-6))
    out["initial"] = [calc_accuracy_loader(train_loader, model, device),
                      calc_loss_loader(val_loader, model, device)]

    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.1)
    train_losses, val_losses, train_accs, val_accs, examples_seen, batch_losses = train_classifier_simple(
        model, train_loader, val_loader, optimizer, device, num_epochs=args.epochs, eval_freq=4, eval_iter=2)
    out.update(train_losses=train_losses, val_losses=val_losses, train_accs=train_accs, val_accs=val_accs,
               batch_losses=batch_losses, examples_seen=examples_seen)
    out["final_acc"] = [calc_accuracy_loader(loader, model, device) for loader in (train_loader, val_loader,
                                                                                    test_loader)]
    out["b_norm"] = model.trf_blocks[0].att.W_query.lora.B.norm().item()
    out["base_frozen"] = not model.trf_blocks[0].att.W_query.linear.weight.requires_grad

    # The merged form of the same adapters gives the same logits.
    merged = GPTModel(BASE_CONFIG)
    merged.out_head = torch.nn.Linear(in_features=BASE_CONFIG["emb_dim"], out_features=num_classes)
    replace_linear_with_lora(merged, rank=4, alpha=8, cls=LinearWithLoRAMerged)
    merged.load_state_dict(model.state_dict())
    merged.eval()
    x = torch.tensor([list(b"URGENT claim your cash"), list(b"see you at lunch tonight")[:22]])
    with torch.no_grad():
        a, b = model(x)[:, -1, :], merged(x)[:, -1, :]
    out["merged_max_diff"] = (a - b).abs().max().item()
    out["logits"] = a.tolist()
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
