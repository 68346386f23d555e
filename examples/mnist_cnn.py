"""The classic CNN on MNIST, written PyTorch-style on ember.

Two 3x3 convolutions (32 and 64 channels), each followed by ReLU and 2x2 max pooling,
then a 64-unit dense layer and 10 outputs; SGD with momentum.
Run: ``python examples/mnist_cnn.py`` (uses the 5,000-image MNIST sample bundled with ember).
"""
import ember as torch
import ember.nn.functional as F
from ember import nn, optim
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def main(epochs=5, batch_size=64, lr=0.01, momentum=0.9, seed=0, verbose=True):
    torch.manual_seed(seed)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_loader = DataLoader(datasets.MNIST(root=None, train=True, transform=tf), batch_size=batch_size,
                              shuffle=True)
    test_loader = DataLoader(datasets.MNIST(root=None, train=False, transform=tf), batch_size=1000)

    model = CNN()
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for epoch in range(epochs):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
        accuracy = evaluate(model, test_loader)
        if verbose:
            print(f"epoch {epoch + 1}: test accuracy {accuracy:.4f}")
    if verbose:
        torch.save(model.state_dict(), "mnist_cnn.safetensors")
    return accuracy


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(1) == labels).sum().item()
            total += labels.size(0)
    return correct / total


if __name__ == "__main__":
    main()
