"""The classic MLP (784-128-64-10) on MNIST, written PyTorch-style on ember.

Run: ``python examples/mnist_mlp.py`` (uses the 5,000-image MNIST sample bundled with ember).
Swap the imports for ``torch``/``torchvision`` and the program runs on PyTorch unchanged.
"""
import ember as torch
from ember import nn, optim
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


def main(epochs=10, batch_size=64, lr=0.01, momentum=0.9, seed=0, verbose=True):
    torch.manual_seed(seed)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(root=None, train=True, transform=tf)     # root=None: the bundled sample
    test_set = datasets.MNIST(root=None, train=False, transform=tf)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)

    model = MLP()
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    criterion = nn.CrossEntropyLoss()
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
