"""Sequential MNIST: an LSTM reads each digit row by row (28 steps of 28 pixels) and classifies it.

Run: ``python examples/sequential_mnist_lstm.py`` (uses the MNIST sample bundled with ember:
4,000 training and 1,000 test images). LSTM(28 -> 128), the last hidden state -> Linear(128, 10),
Adam lr 2e-3, batch 64, 10 epochs. Swap the imports for ``torch``/``torchvision`` and the program
runs on PyTorch unchanged.
"""
import ember as torch
from ember import nn, optim
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms


class RowLSTM(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.lstm = nn.LSTM(input_size=28, hidden_size=hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 10)

    def forward(self, images):
        rows = images.view(images.size(0), 28, 28)     # (batch, 28 steps, 28 pixels)
        _, (h_n, _) = self.lstm(rows)
        return self.fc(h_n[-1])


def main(epochs=10, batch_size=64, lr=2e-3, seed=0, verbose=True):
    torch.manual_seed(seed)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(root=None, train=True, transform=tf)     # root=None: the bundled sample
    test_set = datasets.MNIST(root=None, train=False, transform=tf)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=500)

    model = RowLSTM()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    accuracy = 0.0
    for epoch in range(epochs):
        model.train()
        running = 0.0
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * images.size(0)
        accuracy = evaluate(model, test_loader)
        if verbose:
            print(f"epoch {epoch + 1}: train loss {running / len(train_set):.4f}, test accuracy {accuracy:.4f}")
    return accuracy


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += labels.size(0)
    return correct / total


if __name__ == "__main__":
    main()
