"""PPO in the CleanRL manner (ppo.py / ppo_continuous_action.py) on hand-written vectorized environments:
an orthogonally-initialized actor-critic (``nn.init.orthogonal_`` with ``np.sqrt(2)`` gain,
``constant_`` biases), ``torch.distributions.Categorical(logits=...)`` for a discrete chain walk and
``Normal`` with a state-independent ``log_std`` for a continuous point mass, rollout buffers filled
in place, generalized advantage estimation run backwards, several epochs over minibatches from
``torch.randperm``-shuffled indices (``np.random.permutation`` in CleanRL), clipped surrogate and
clipped value losses, approximate KL and clip fraction, ``clip_grad_norm_``, and an annealed
learning rate written into ``optimizer.param_groups``."""
import argparse
import json

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.distributions.categorical import Categorical
from torch.distributions.normal import Normal


class ChainEnv:
    """Walk on 0..n-1; action 1 moves right, 0 left; reward 1 on reaching the right end, -0.01 a step."""

    def __init__(self, num_envs, n=6, seed=0):
        self.n, self.num_envs = n, num_envs
        self.rng = np.random.RandomState(seed)
        self.pos = np.zeros(num_envs, dtype=np.int64)
        self.t = np.zeros(num_envs, dtype=np.int64)

    def obs(self):
        o = np.zeros((self.num_envs, self.n), dtype=np.float32)
        o[np.arange(self.num_envs), self.pos] = 1.0
        return o

    def reset(self):
        self.pos[:] = 0
        self.t[:] = 0
        return self.obs()

    def step(self, actions):
        slip = self.rng.rand(self.num_envs) < 0.1
        move = np.where(actions == 1, 1, -1) * np.where(slip, -1, 1)
        self.pos = np.clip(self.pos + move, 0, self.n - 1)
        self.t += 1
        reward = np.where(self.pos == self.n - 1, 1.0, -0.01).astype(np.float32)
        done = (self.pos == self.n - 1) | (self.t >= 20)
        self.pos[done] = 0
        self.t[done] = 0
        return self.obs(), reward, done.astype(np.float32)


class PointEnv:
    """A 1-D point pushed by a clipped force towards the origin; reward -x^2 - 0.1 a^2."""

    def __init__(self, num_envs, seed=0):
        self.num_envs = num_envs
        self.rng = np.random.RandomState(seed)
        self.x = np.zeros(num_envs, dtype=np.float32)
        self.v = np.zeros(num_envs, dtype=np.float32)
        self.t = np.zeros(num_envs, dtype=np.int64)

    def obs(self):
        return np.stack([self.x, self.v], 1).astype(np.float32)

    def reset(self):
        self.x = self.rng.uniform(-1, 1, self.num_envs).astype(np.float32)
        self.v[:] = 0
        self.t[:] = 0
        return self.obs()

    def step(self, action):
        a = np.clip(action[:, 0], -1, 1)
        self.v = 0.9 * self.v + 0.1 * a
        self.x = self.x + 0.1 * self.v
        self.t += 1
        reward = (-self.x ** 2 - 0.1 * a ** 2).astype(np.float32)
        done = self.t >= 16
        n = int(done.sum())
        self.x[done] = self.rng.uniform(-1, 1, n)
        self.v[done] = 0
        self.t[done] = 0
        return self.obs(), reward, done.astype(np.float32)


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    def __init__(self, obs_dim, act_dim, continuous):
        super().__init__()
        self.continuous = continuous
        self.critic = nn.Sequential(layer_init(nn.Linear(obs_dim, 32)), nn.Tanh(), layer_init(nn.Linear(32, 32)),
                                    nn.Tanh(), layer_init(nn.Linear(32, 1), std=1.0))
        self.actor = nn.Sequential(layer_init(nn.Linear(obs_dim, 32)), nn.Tanh(), layer_init(nn.Linear(32, 32)),
                                   nn.Tanh(), layer_init(nn.Linear(32, act_dim), std=0.01))
        if continuous:
            self.actor_logstd = nn.Parameter(torch.zeros(1, act_dim))

    def get_value(self, x):
        return self.critic(x)

    def get_action_and_value(self, x, action=None):
        if self.continuous:
            action_mean = self.actor(x)
            action_logstd = self.actor_logstd.expand_as(action_mean)
            probs = Normal(action_mean, torch.exp(action_logstd))
            if action is None:
                action = probs.sample()
            return action, probs.log_prob(action).sum(1), probs.entropy().sum(1), self.critic(x)
        logits = self.actor(x)
        probs = Categorical(logits=logits)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic(x)


def train(env, agent, args, continuous, act_dim):
    optimizer = optim.Adam(agent.parameters(), lr=args.lr, eps=1e-5)
    num_steps, num_envs = args.num_steps, env.num_envs
    batch_size = num_steps * num_envs
    minibatch_size = batch_size // args.num_minibatches
    obs_dim = env.obs().shape[1]
    obs = torch.zeros((num_steps, num_envs, obs_dim))
    actions = torch.zeros((num_steps, num_envs) + ((act_dim,) if continuous else ()))
    logprobs = torch.zeros((num_steps, num_envs))
    rewards = torch.zeros((num_steps, num_envs))
    dones = torch.zeros((num_steps, num_envs))
    values = torch.zeros((num_steps, num_envs))
    next_obs = torch.Tensor(env.reset())
    next_done = torch.zeros(num_envs)
    history = []
    for iteration in range(1, args.iterations + 1):
        frac = 1.0 - (iteration - 1.0) / args.iterations
        optimizer.param_groups[0]["lr"] = frac * args.lr
        for step in range(num_steps):
            obs[step] = next_obs
            dones[step] = next_done
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs)
                values[step] = value.flatten()
            actions[step] = action
            logprobs[step] = logprob
            next_obs_np, reward, done = env.step(action.cpu().numpy())
            rewards[step] = torch.tensor(reward).view(-1)
            next_obs, next_done = torch.Tensor(next_obs_np), torch.Tensor(done)
        with torch.no_grad():
            next_value = agent.get_value(next_obs).reshape(1, -1)
            advantages = torch.zeros_like(rewards)
            lastgaelam = 0
            for t in reversed(range(num_steps)):
                if t == num_steps - 1:
                    nextnonterminal = 1.0 - next_done
                    nextvalues = next_value
                else:
                    nextnonterminal = 1.0 - dones[t + 1]
                    nextvalues = values[t + 1]
                delta = rewards[t] + args.gamma * nextvalues * nextnonterminal - values[t]
                advantages[t] = lastgaelam = delta + args.gamma * args.gae_lambda * nextnonterminal * lastgaelam
            returns = advantages + values
        b_obs = obs.reshape((-1, obs_dim))
        b_logprobs = logprobs.reshape(-1)
        b_actions = actions.reshape((-1, act_dim)) if continuous else actions.reshape(-1)
        b_advantages = advantages.reshape(-1)
        b_returns = returns.reshape(-1)
        b_values = values.reshape(-1)
        clipfracs = []
        for epoch in range(args.update_epochs):
            b_inds = torch.randperm(batch_size)
            for start in range(0, batch_size, minibatch_size):
                mb_inds = b_inds[start:start + minibatch_size]
                mb_actions = b_actions[mb_inds] if continuous else b_actions.long()[mb_inds]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb_inds], mb_actions)
                logratio = newlogprob - b_logprobs[mb_inds]
                ratio = logratio.exp()
                with torch.no_grad():
                    old_approx_kl = (-logratio).mean()
                    approx_kl = ((ratio - 1) - logratio).mean()
                    clipfracs += [((ratio - 1.0).abs() > args.clip_coef).float().mean().item()]
                mb_advantages = b_advantages[mb_inds]
                mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)
                pg_loss1 = -mb_advantages * ratio
                pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
                pg_loss = torch.max(pg_loss1, pg_loss2).mean()
                newvalue = newvalue.view(-1)
                v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
                v_clipped = b_values[mb_inds] + torch.clamp(newvalue - b_values[mb_inds], -args.clip_coef,
                                                            args.clip_coef)
                v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
                v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
                entropy_loss = entropy.mean()
                loss = pg_loss - args.ent_coef * entropy_loss + v_loss * args.vf_coef
                optimizer.zero_grad()
                loss.backward()
                grad_norm = nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()
        y_pred, y_true = b_values.cpu().numpy(), b_returns.cpu().numpy()
        var_y = np.var(y_true)
        explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y
        history.append({"loss": loss.item(), "pg": pg_loss.item(), "v": v_loss.item(), "ent": entropy_loss.item(),
                        "kl": approx_kl.item(), "old_kl": old_approx_kl.item(), "clipfrac": float(np.mean(clipfracs)),
                        "ev": float(explained_var), "grad_norm": float(grad_norm),
                        "reward": rewards.sum().item(), "lr": optimizer.param_groups[0]["lr"]})
    return history


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--num-steps", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2.5e-3)
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--gae-lambda", type=float, default=0.95)
    parser.add_argument("--num-minibatches", type=int, default=4)
    parser.add_argument("--update-epochs", type=int, default=3)
    parser.add_argument("--clip-coef", type=float, default=0.2)
    parser.add_argument("--ent-coef", type=float, default=0.01)
    parser.add_argument("--vf-coef", type=float, default=0.5)
    parser.add_argument("--max-grad-norm", type=float, default=0.5)
    parser.add_argument("--init-out", default=None)
    parser.add_argument("--init-in", default=None)
    args = parser.parse_args()
    torch.manual_seed(1)
    torch.backends.cudnn.deterministic = True
    discrete = Agent(6, 2, continuous=False)
    continuous = Agent(2, 1, continuous=True)
    if args.init_out:
        np.savez(args.init_out, **{f"d.{k}": v.detach().numpy() for k, v in discrete.state_dict().items()},
                 **{f"c.{k}": v.detach().numpy() for k, v in continuous.state_dict().items()})
    if args.init_in:
        with np.load(args.init_in) as f:
            discrete.load_state_dict({k[2:]: torch.from_numpy(f[k]) for k in f.files if k.startswith("d.")})
            continuous.load_state_dict({k[2:]: torch.from_numpy(f[k]) for k in f.files if k.startswith("c.")})
    w = discrete.actor[0].weight.detach()
    ortho = (w.T @ w - 2.0 * torch.eye(w.shape[1])).abs().max().item()
    # the distributions on fixed inputs with shared weights
    with torch.no_grad():
        o = torch.eye(6)
        _, lp, ent, val = discrete.get_action_and_value(o, torch.tensor([0, 1, 0, 1, 1, 0]))
        oc = torch.tensor([[0.5, 0.0], [-0.3, 0.2]])
        _, lpc, entc, valc = continuous.get_action_and_value(oc, torch.tensor([[0.1], [-0.2]]))
    check = {"lp": lp.tolist(), "ent": ent.tolist(), "val": val.flatten().tolist(), "lpc": lpc.tolist(),
             "entc": entc.tolist(), "valc": valc.flatten().tolist()}
    torch.manual_seed(2)
    hd = train(ChainEnv(4, seed=0), discrete, args, False, 2)
    torch.manual_seed(3)
    hc = train(PointEnv(4, seed=0), continuous, args, True, 1)
    print("RESULT " + json.dumps({"check": check, "ortho": ortho, "discrete": hd, "continuous": hc}))


if __name__ == "__main__":
    main()
