"""Deep Q-learning in the manner of the pytorch.org "Reinforcement Learning (DQN) Tutorial", on a
tiny inline environment (a 1-D corridor with a goal at the right end) instead of gym: a namedtuple
Transition and a ReplayMemory over collections.deque sampled with Python's random, epsilon-greedy
actions with an exponentially decaying epsilon, a policy and a target network, the batch built
with torch.cat and a non-final mask (torch.tensor(tuple(map(...)), dtype=torch.bool)), Q(s, a) by
gather, V(s') by max(1).values under no_grad, nn.SmoothL1Loss, optim.AdamW(amsgrad=True),
torch.nn.utils.clip_grad_value_, and the soft target update through state_dict() /
load_state_dict()."""
import argparse
import json
import math
import random
from collections import deque, namedtuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

Transition = namedtuple("Transition", ("state", "action", "next_state", "reward"))


class Corridor:
    """States 0..n-1 shown one-hot plus the position; actions 0 (left) / 1 (right); reward 1 at the end."""

    def __init__(self, n=6, max_steps=20):
        self.n, self.max_steps = n, max_steps

    def obs(self):
        v = np.zeros(self.n + 1, dtype=np.float32)
        v[self.pos] = 1.0
        v[-1] = self.pos / (self.n - 1)
        return v

    def reset(self):
        self.pos, self.t = 0, 0
        return self.obs()

    def step(self, action):
        self.t += 1
        self.pos = max(0, min(self.n - 1, self.pos + (1 if action == 1 else -1)))
        terminated = self.pos == self.n - 1
        reward = 1.0 if terminated else -0.05
        truncated = self.t >= self.max_steps
        return self.obs(), reward, terminated, truncated


class ReplayMemory(object):
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


class DQN(nn.Module):
    def __init__(self, n_observations, n_actions):
        super(DQN, self).__init__()
        self.layer1 = nn.Linear(n_observations, 32)
        self.layer2 = nn.Linear(32, 32)
        self.layer3 = nn.Linear(32, n_actions)

    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


def main():
    parser = argparse.ArgumentParser(description="DQN tutorial on an inline corridor")
    parser.add_argument("--episodes", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--gamma", type=float, default=0.9)
    parser.add_argument("--tau", type=float, default=0.05)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    random.seed(0)
    torch.manual_seed(0)
    device = torch.device("cpu")
    env = Corridor()
    n_actions, n_observations = 2, env.n + 1
    EPS_START, EPS_END, EPS_DECAY = 0.9, 0.05, 100

    policy_net = DQN(n_observations, n_actions).to(device)
    target_net = DQN(n_observations, n_actions).to(device)
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in policy_net.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            policy_net.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    target_net.load_state_dict(policy_net.state_dict())
    optimizer = optim.AdamW(policy_net.parameters(), lr=args.lr, amsgrad=True)
    memory = ReplayMemory(500)
    steps_done = 0
    losses, returns, actions_taken = [], [], []

    def select_action(state):
        nonlocal steps_done
        sample = random.random()
        eps_threshold = EPS_END + (EPS_START - EPS_END) * math.exp(-1. * steps_done / EPS_DECAY)
        steps_done += 1
        if sample > eps_threshold:
            with torch.no_grad():
                return policy_net(state).max(1).indices.view(1, 1)
        return torch.tensor([[random.randrange(n_actions)]], device=device, dtype=torch.long)

    def optimize_model():
        if len(memory) < args.batch_size:
            return
        transitions = memory.sample(args.batch_size)
        batch = Transition(*zip(*transitions))
        non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)), device=device,
                                      dtype=torch.bool)
        non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
        state_batch = torch.cat(batch.state)
        action_batch = torch.cat(batch.action)
        reward_batch = torch.cat(batch.reward)
        state_action_values = policy_net(state_batch).gather(1, action_batch)
        next_state_values = torch.zeros(args.batch_size, device=device)
        with torch.no_grad():
            next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
        expected_state_action_values = (next_state_values * args.gamma) + reward_batch
        criterion = nn.SmoothL1Loss()
        loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
        optimizer.step()
        losses.append(loss.item())

    for i_episode in range(args.episodes):
        state = env.reset()
        state = torch.tensor(state, dtype=torch.float32, device=device).unsqueeze(0)
        total = 0.0
        while True:
            action = select_action(state)
            actions_taken.append(action.item())
            observation, reward, terminated, truncated = env.step(action.item())
            total += reward
            reward = torch.tensor([reward], device=device)
            done = terminated or truncated
            if terminated:
                next_state = None
            else:
                next_state = torch.tensor(observation, dtype=torch.float32, device=device).unsqueeze(0)
            memory.push(state, action, next_state, reward)
            state = next_state
            optimize_model()
            target_net_state_dict = target_net.state_dict()
            policy_net_state_dict = policy_net.state_dict()
            for key in policy_net_state_dict:
                target_net_state_dict[key] = policy_net_state_dict[key] * args.tau + target_net_state_dict[key] * (
                    1 - args.tau)
            target_net.load_state_dict(target_net_state_dict)
            if done:
                break
        returns.append(total)

    with torch.no_grad():
        q = policy_net(torch.stack([torch.from_numpy(np.eye(env.n + 1, dtype=np.float32)[i]) for i in range(env.n)]))
    print("RESULT " + json.dumps({"losses": losses, "returns": returns, "actions": actions_taken,
                                  "q": q.reshape(-1).tolist(), "steps": steps_done}))


if __name__ == "__main__":
    main()
