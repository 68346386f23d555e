"""Chapter 7 of Raschka's "Build a Large Language Model (From Scratch)": instruction fine-tuning.
Alpaca-style prompts (format_input), an InstructionDataset of pre-tokenized entries, the collate
functions of the chapter (custom_collate_draft_1 padding with <|endoftext|>, draft_2 shifting
the targets, and custom_collate_fn replacing all padding tokens but the first by -100, the
ignore_index of cross_entropy, and truncating to allowed_max_length) bound by functools.partial
into a DataLoader, the -100 experiment on cross_entropy, a few epochs of fine-tuning the GPTModel
of chapter 4, and greedy generation of responses stopped at <|endoftext|>, saved as JSON."""
import argparse
import json
import os
import sys
from functools import partial

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llms_gpt_pretrain import GPTModel, calc_loss_loader, generate  # noqa: E402

CONFIG = {"vocab_size": 257, "context_length": 160, "emb_dim": 32, "n_heads": 4, "n_layers": 2, "drop_rate": 0.0,
          "qkv_bias": False}
EOT = 256


def encode(text):
    return list(text.encode("utf-8"))


def decode(ids):
    return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


def format_input(entry):
    instruction_text = (f"Below is an instruction that describes a task. "
                        f"Write a response that appropriately completes the request."
                        f"\n\n### Instruction:\n{entry['instruction']}")
    input_text = f"\n\n### Input:\n{entry['input']}" if entry["input"] else ""
    return instruction_text + input_text


class InstructionDataset(Dataset):
    def __init__(self, data):
        self.data = data
        self.encoded_texts = []
        for entry in data:
            instruction_plus_input = format_input(entry)
            response_text = f"\n\n### Response:\n{entry['output']}"
            full_text = instruction_plus_input + response_text
            self.encoded_texts.append(encode(full_text))

    def __getitem__(self, index):
        return self.encoded_texts[index]

    def __len__(self):
        return len(self.data)


def custom_collate_draft_1(batch, pad_token_id=EOT, device="cpu"):
    batch_max_length = max(len(item) + 1 for item in batch)
    inputs_lst = []
    for item in batch:
        new_item = item.copy()
        new_item += [pad_token_id]
        padded = new_item + [pad_token_id] * (batch_max_length - len(new_item))
        inputs = torch.tensor(padded[:-1])
        inputs_lst.append(inputs)
    return torch.stack(inputs_lst).to(device)


def custom_collate_draft_2(batch, pad_token_id=EOT, device="cpu"):
    batch_max_length = max(len(item) + 1 for item in batch)
    inputs_lst, targets_lst = [], []
    for item in batch:
        new_item = item.copy()
        new_item += [pad_token_id]
        padded = new_item + [pad_token_id] * (batch_max_length - len(new_item))
        inputs = torch.tensor(padded[:-1])
        targets = torch.tensor(padded[1:])
        inputs_lst.append(inputs)
        targets_lst.append(targets)
    return torch.stack(inputs_lst).to(device), torch.stack(targets_lst).to(device)


def custom_collate_fn(batch, pad_token_id=EOT, ignore_index=-100, allowed_max_length=None, device="cpu"):
    batch_max_length = max(len(item) + 1 for item in batch)
    inputs_lst, targets_lst = [], []
    for item in batch:
        new_item = item.copy()
        new_item += [pad_token_id]
        padded = new_item + [pad_token_id] * (batch_max_length - len(new_item))
        inputs = torch.tensor(padded[:-1])
        targets = torch.tensor(padded[1:])
        mask = targets == pad_token_id
        indices = torch.nonzero(mask).squeeze()
        if indices.numel() > 1:
            targets[indices[1:]] = ignore_index
        if allowed_max_length is not None:
            inputs = inputs[:allowed_max_length]
            targets = targets[:allowed_max_length]
        inputs_lst.append(inputs)
        targets_lst.append(targets)
    inputs_tensor = torch.stack(inputs_lst).to(device)
    targets_tensor = torch.stack(targets_lst).to(device)
    return inputs_tensor, targets_tensor


def make_data(n, seed=0):
    rng = np.random.RandomState(seed)
    words = ["cat", "dog", "sun", "tree", "book", "car"]
    data = []
    for i in range(n):
        w = words[rng.randint(len(words))]
        kind = i % 3
        if kind == 0:
            data.append({"instruction": "Spell the word backwards.", "input": w, "output": w[::-1]})
        elif kind == 1:
            data.append({"instruction": "Make the word plural.", "input": w, "output": w + "s"})
        else:
            data.append({"instruction": "Say hello.", "input": "", "output": "Hello!"})
    return data


def main():
    parser = argparse.ArgumentParser(description="LLMs from scratch, chapter 7")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    device = torch.device("cpu")
    out = {}

    inputs_1, inputs_2, inputs_3 = [0, 1, 2, 3, 4], [5, 6], [7, 8, 9]
    batch = (inputs_1, inputs_2, inputs_3)
    out["draft_1"] = custom_collate_draft_1(batch).tolist()
    out["draft_2"] = [t.tolist() for t in custom_collate_draft_2(batch)]
    out["collate"] = [t.tolist() for t in custom_collate_fn(batch)]
    out["collate_truncated"] = [t.tolist() for t in custom_collate_fn(batch, allowed_max_length=3)]

    logits_1 = torch.tensor([[-1.0, 1.0], [-0.5, 1.5]])
    targets_1 = torch.tensor([0, 1])
    loss_1 = torch.nn.functional.cross_entropy(logits_1, targets_1)
    logits_2 = torch.tensor([[-1.0, 1.0], [-0.5, 1.5], [-0.5, 1.5]])
    targets_2 = torch.tensor([0, 1, 1])
    loss_2 = torch.nn.functional.cross_entropy(logits_2, targets_2)
    targets_3 = torch.tensor([0, 1, -100])
    loss_3 = torch.nn.functional.cross_entropy(logits_2, targets_3)
    out["ignore_losses"] = [loss_1.item(), loss_2.item(), loss_3.item()]
    out["ignore_equal"] = loss_1.item() == loss_3.item()

    data = make_data(36)
    train_data, val_data, test_data = data[:24], data[24:30], data[30:]
    out["formatted"] = format_input(data[0]) + f"\n\n### Response:\n{data[0]['output']}"
    customized_collate_fn = partial(custom_collate_fn, device=device, allowed_max_length=CONFIG["context_length"])
    num_workers, batch_size = 0, 6
    train_loader = DataLoader(InstructionDataset(train_data), batch_size=batch_size, collate_fn=customized_collate_fn,
                              shuffle=False, drop_last=True, num_workers=num_workers)
    val_loader = DataLoader(InstructionDataset(val_data), batch_size=batch_size, collate_fn=customized_collate_fn,
                            shuffle=False, drop_last=False, num_workers=num_workers)
    out["batch_shapes"] = [[list(x.shape), list(y.shape)] for x, y in train_loader]
    out["ignored_per_batch"] = [int((y == -100).sum()) for _, y in train_loader]

    torch.manual_seed(123)
    model = GPTModel(CONFIG)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            model.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    model.to(device)
    with torch.no_grad():
        out["initial"] = [calc_loss_loader(train_loader, model, device, num_batches=2),
                          calc_loss_loader(val_loader, model, device, num_batches=2)]

    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1)
    losses = []
    for epoch in range(args.epochs):
        model.train()
        for input_batch, target_batch in train_loader:
            optimizer.zero_grad()
            logits = model(input_batch)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), target_batch.flatten())
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    out["losses"] = losses
    model.eval()
    with torch.no_grad():
        out["final"] = [calc_loss_loader(train_loader, model, device),
                        calc_loss_loader(val_loader, model, device)]

    responses = []
    for i, entry in enumerate(test_data[:3]):
        input_text = format_input(entry) + "\n\n### Response:\n"
        token_ids = generate(model=model, idx=torch.tensor(encode(input_text)).unsqueeze(0).to(device),
                             max_new_tokens=6, context_size=CONFIG["context_length"], eos_id=EOT)
        generated_text = decode(token_ids.squeeze(0).tolist())
        response_text = generated_text[len(input_text):].replace("### Response:", "").strip()
        test_data[i]["model_response"] = response_text
        responses.append(token_ids.squeeze(0).tolist()[len(encode(input_text)):])
    with open("instruction-data-with-response.json", "w") as file:
        json.dump(test_data[:3], file, indent=4)
    with open("instruction-data-with-response.json") as file:
        out["saved_keys"] = sorted(json.load(file)[0].keys())
    out["responses"] = responses
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
