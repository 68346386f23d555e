"""Policy-gradient control in the manner of pytorch/examples' reinforcement_learning (reinforce.py
and actor_critic.py), on a cart-pole simulated in NumPy: a policy network whose softmax feeds
torch.distributions.Categorical, log_prob of sampled actions, discounted and normalized
returns, a REINFORCE or actor-critic loss (smooth_l1_loss for the value head), and a running
reward. A Normal policy head is evaluated as well."""
import argparse
import json
import math
from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical, Normal

SavedAction = namedtuple("SavedAction", ["log_prob", "value"])


class CartPole:
    """The classic cart-pole balancing task (Barto, Sutton & Anderson 1983), Euler-integrated."""

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)
        self.state = None

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, size=4)
        return self.state.astype(np.float32)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + 0.05 * theta_dot ** 2 * sintheta) / 1.1
        thetaacc = (9.8 * sintheta - costheta * temp) / (0.5 * (4.0 / 3.0 - 0.1 * costheta ** 2 / 1.1))
        xacc = temp - 0.05 * thetaacc * costheta / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * xacc
        theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * thetaacc
        self.state = np.array([x, x_dot, theta, theta_dot])
        done = bool(abs(x) > 2.4 or abs(theta) > 12 * 2 * math.pi / 360)
        return self.state.astype(np.float32), 1.0, done


class Policy(nn.Module):
    def __init__(self, hidden=64, dropout=0.0):
        super().__init__()
        self.affine1 = nn.Linear(4, hidden)
        self.dropout = nn.Dropout(p=dropout)
        self.action_head = nn.Linear(hidden, 2)
        self.value_head = nn.Linear(hidden, 1)
        self.mu_head = nn.Linear(hidden, 1)
        self.log_std = nn.Parameter(torch.zeros(1))
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.dropout(self.affine1(x)))
        action_prob = F.softmax(self.action_head(x), dim=-1)
        return action_prob, self.value_head(x), self.mu_head(x)


def main():
    parser = argparse.ArgumentParser(description="PyTorch REINFORCE / actor-critic example")
    parser.add_argument("--gamma", type=float, default=0.99, metavar="G")
    parser.add_argument("--seed", type=int, default=543, metavar="N")
    parser.add_argument("--episodes", type=int, default=12)
    parser.add_argument("--max-steps", type=int, default=200)
    parser.add_argument("--actor-critic", action="store_true")
    parser.add_argument("--log-interval", type=int, default=4)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    env = CartPole(args.seed)
    torch.manual_seed(args.seed)
    policy = Policy()
    if args.init_out:
        np.savez(args.init_out, **{k: v.detach().numpy() for k, v in policy.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            policy.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})

    # What the distributions give for fixed states and actions, before any training.
    states = torch.from_numpy(np.stack([CartPole(s).reset() for s in range(6)]))
    with torch.no_grad():
        probs, values, mu = policy(states)
        m = Categorical(probs)
        actions = torch.tensor([0, 1, 1, 0, 1, 0])
        normal = Normal(mu.squeeze(-1), policy.log_std.exp())
        check = {"log_prob": m.log_prob(actions).tolist(), "entropy": m.entropy().tolist(),
                 "logits": m.logits.tolist(), "normal_log_prob": normal.log_prob(torch.full((6,), 0.1)).tolist(),
                 "normal_entropy": normal.entropy().tolist(), "sample_shape": list(m.sample((3,)).shape),
                 "normal_rsample_shape": list(normal.rsample((2,)).shape)}

    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()

    def select_action(state):
        state = torch.from_numpy(state).float().unsqueeze(0)
        probs, state_value, _ = policy(state)
        m = Categorical(probs)
        action = m.sample()
        policy.saved_actions.append(SavedAction(m.log_prob(action), state_value))
        return action.item()

    def finish_episode():
        R = 0
        saved_actions = policy.saved_actions
        policy_losses, value_losses, returns = [], [], []
        for r in policy.rewards[::-1]:
            R = r + args.gamma * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        for (log_prob, value), R in zip(saved_actions, returns):
            advantage = R - value.item() if args.actor_critic else R
            policy_losses.append(-log_prob * advantage)
            value_losses.append(F.smooth_l1_loss(value.squeeze(), R))
        optimizer.zero_grad()
        loss = torch.stack(policy_losses).sum()
        if args.actor_critic:
            loss = loss + torch.stack(value_losses).sum()
        loss.backward()
        optimizer.step()
        del policy.rewards[:]
        del policy.saved_actions[:]
        return loss.item()

    running_reward = 10
    lengths, losses = [], []
    for i_episode in range(1, args.episodes + 1):
        state, ep_reward = env.reset(), 0
        for t in range(1, args.max_steps + 1):
            action = select_action(state)
            state, reward, done = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        losses.append(finish_episode())
        lengths.append(t)
        if i_episode % args.log_interval == 0:
            print("Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}".format(i_episode, ep_reward,
                                                                                 running_reward))
    print("RESULT " + json.dumps({"check": check, "lengths": lengths, "losses": losses,
                                  "running_reward": running_reward}))


if __name__ == "__main__":
    main()
