"""The spaces and objectives `compare.py` gives every library, written once per API.

A problem has a hyperopt-style space (built with the `hp` module passed in: hyperopt's own, or
swifttune.hyperopt's, which Ray's HyperOptSearch accepts too), an Optuna define-by-run function
drawing the same parameters from the same distributions, and an objective of the configuration
dict (the nested dict hyperopt's `space_eval` gives).
"""
from __future__ import annotations

import math
from typing import Any, Callable

# ---------------------------------------------------------------------------------------------
# Spaces of 3, 10 and 30 parameters (uniform, log, quantised, categorical, conditional), for the
# cost and scaling workloads; their objective is cheap and smooth.


def space3(hp: Any) -> dict[str, Any]:
    return {"x": hp.uniform("x", -5, 10), "lr": hp.loguniform("lr", math.log(1e-4), math.log(1e-1)),
            "act": hp.choice("act", ["relu", "tanh"])}


def optuna3(trial: Any) -> dict[str, Any]:
    return {"x": trial.suggest_float("x", -5, 10), "lr": trial.suggest_float("lr", 1e-4, 1e-1, log=True),
            "act": trial.suggest_categorical("act", ["relu", "tanh"])}


def optuna_distributions3() -> dict[str, Any]:
    """space3 as a dict of Optuna distributions (OptunaSearch's own kind of space). The 10- and
    30-parameter spaces have none: their conditional branch (a choice with a nested parameter)
    is not a flat dict of distributions, which draws every parameter in every trial."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    return {"x": FloatDistribution(-5, 10), "lr": FloatDistribution(1e-4, 1e-1, log=True),
            "act": CategoricalDistribution(["relu", "tanh"])}


def space10(hp: Any) -> dict[str, Any]:
    return {
        "x0": hp.uniform("x0", -5, 5), "x1": hp.uniform("x1", 0, 1), "x2": hp.uniform("x2", -100, 100),
        "lr": hp.loguniform("lr", math.log(1e-5), math.log(1e-1)),
        "wd": hp.loguniform("wd", math.log(1e-6), math.log(1e-2)),
        "units": hp.quniform("units", 16, 512, 16), "dropout": hp.quniform("dropout", 0, 0.5, 0.05),
        "act": hp.choice("act", ["relu", "tanh", "gelu"]), "opt": hp.choice("opt", ["sgd", "adam"]),
        "model": hp.choice("model", [{"kind": "linear"}, {"kind": "mlp", "depth": hp.quniform("depth", 1, 8, 1)}]),
    }


def optuna10(trial: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "x0": trial.suggest_float("x0", -5, 5), "x1": trial.suggest_float("x1", 0, 1),
        "x2": trial.suggest_float("x2", -100, 100), "lr": trial.suggest_float("lr", 1e-5, 1e-1, log=True),
        "wd": trial.suggest_float("wd", 1e-6, 1e-2, log=True), "units": trial.suggest_float("units", 16, 512, step=16),
        "dropout": trial.suggest_float("dropout", 0, 0.5, step=0.05),
        "act": trial.suggest_categorical("act", ["relu", "tanh", "gelu"]),
        "opt": trial.suggest_categorical("opt", ["sgd", "adam"]),
    }
    kind = trial.suggest_categorical("model", ["linear", "mlp"])
    c["model"] = {"kind": kind} if kind == "linear" else {"kind": kind, "depth": trial.suggest_float("depth", 1, 8, step=1)}
    return c


def space30(hp: Any) -> dict[str, Any]:
    s: dict[str, Any] = {}
    for i in range(10):
        s[f"u{i}"] = hp.uniform(f"u{i}", -(i + 1), i + 1)
    for i in range(6):
        s[f"l{i}"] = hp.loguniform(f"l{i}", math.log(1e-6), math.log(10.0 ** (i - 2)))
    for i in range(6):
        s[f"q{i}"] = hp.quniform(f"q{i}", 0, 10, 0.5) if i % 2 == 0 else hp.quniform(f"q{i}", 0, 100, 5)
    for i in range(5):
        s[f"c{i}"] = hp.choice(f"c{i}", [f"v{k}" for k in range(i + 2)])
    s["branch"] = hp.choice("branch", [{"b": "a", "a1": hp.uniform("a1", 0, 1)},
                                       {"b": "b", "b1": hp.loguniform("b1", math.log(1e-3), 0.0),
                                        "b2": hp.quniform("b2", 0, 10, 1)}])
    return s


def optuna30(trial: Any) -> dict[str, Any]:
    c: dict[str, Any] = {}
    for i in range(10):
        c[f"u{i}"] = trial.suggest_float(f"u{i}", -(i + 1), i + 1)
    for i in range(6):
        c[f"l{i}"] = trial.suggest_float(f"l{i}", 1e-6, 10.0 ** (i - 2), log=True)
    for i in range(6):
        c[f"q{i}"] = trial.suggest_float(f"q{i}", 0, 10, step=0.5) if i % 2 == 0 else trial.suggest_float(f"q{i}", 0, 100, step=5)
    for i in range(5):
        c[f"c{i}"] = trial.suggest_categorical(f"c{i}", [f"v{k}" for k in range(i + 2)])
    b = trial.suggest_categorical("branch", ["a", "b"])
    if b == "a":
        c["branch"] = {"b": "a", "a1": trial.suggest_float("a1", 0, 1)}
    else:
        c["branch"] = {"b": "b", "b1": trial.suggest_float("b1", 1e-3, 1, log=True),
                       "b2": trial.suggest_float("b2", 0, 10, step=1)}
    return c


def cheap_loss(config: Any) -> float:
    """A made-up smooth loss over every numeric value (strings count by their last character)."""
    if isinstance(config, dict):
        return sum(cheap_loss(v) for v in config.values())
    if isinstance(config, str):
        return 0.1 * (ord(config[-1]) % 3)
    return (float(config) - 0.3) ** 2


COST_SPACES: dict[int, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    3: (space3, optuna3), 10: (space10, optuna10), 30: (space30, optuna30),
}
# The cost spaces that have a dict of Optuna distributions (for OptunaSearch's own search).
OPTUNA_DISTRIBUTIONS: dict[int, Callable[[], dict[str, Any]]] = {3: optuna_distributions3}

# ---------------------------------------------------------------------------------------------
# Quality problems: known test functions with known minima.


def branin(c: dict[str, Any]) -> float:
    """Branin-Hoo on [-5, 10] x [0, 15]; minimum 0.397887."""
    x1, x2 = c["x1"], c["x2"]
    b, cc, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + cc * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def branin_space(hp: Any) -> dict[str, Any]:
    return {"x1": hp.uniform("x1", -5, 10), "x2": hp.uniform("x2", 0, 15)}


def branin_optuna(trial: Any) -> dict[str, Any]:
    return {"x1": trial.suggest_float("x1", -5, 10), "x2": trial.suggest_float("x2", 0, 15)}


_H3_A = [[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]]
_H3_C = [1.0, 1.2, 3.0, 3.2]
_H3_P = [[0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470], [0.1091, 0.8732, 0.5547], [0.03815, 0.5743, 0.8828]]


def hartmann3(c: dict[str, Any]) -> float:
    """Hartmann 3-D on [0, 1]^3; minimum -3.86278."""
    x = [c["x0"], c["x1"], c["x2"]]
    return -sum(_H3_C[i] * math.exp(-sum(_H3_A[i][j] * (x[j] - _H3_P[i][j]) ** 2 for j in range(3))) for i in range(4))


def hartmann3_space(hp: Any) -> dict[str, Any]:
    return {f"x{j}": hp.uniform(f"x{j}", 0, 1) for j in range(3)}


def hartmann3_optuna(trial: Any) -> dict[str, Any]:
    return {f"x{j}": trial.suggest_float(f"x{j}", 0, 1) for j in range(3)}


def mixed10(c: dict[str, Any]) -> float:
    """A 10-parameter mixed problem (the cost workload's space10) with a known minimum of 0: a
    shifted bowl in the numbers (in log units for the log ones), a penalty for the wrong
    categories, and a depth optimum in the conditional branch."""
    loss = (c["x0"] - 1.5) ** 2 / 4 + (c["x1"] - 0.2) ** 2 * 4 + ((c["x2"] - 30) / 50) ** 2
    loss += (math.log10(c["lr"]) + 3) ** 2 / 4 + (math.log10(c["wd"]) + 4) ** 2 / 8
    loss += ((c["units"] - 256) / 128) ** 2 + (c["dropout"] - 0.1) ** 2 * 8
    loss += {"relu": 0.0, "tanh": 0.3, "gelu": 0.1}[c["act"]] + {"sgd": 0.2, "adam": 0.0}[c["opt"]]
    m = c["model"]
    loss += 0.5 if m["kind"] == "linear" else ((m["depth"] - 4) / 2) ** 2
    return loss


def seed_objective(c: dict[str, Any]) -> float:
    """The seed tutorial's loss at its last step (steps = 100): (0.1 + width * 99/100)^-1
    + height * 0.1 (times `mult` for relu). Minimum about -9.95 (width 20, height -100)."""
    act = c["activation"]
    mult = act.get("mult", 1.0) if isinstance(act, dict) else 1.0
    return (0.1 + c["width"] * 99 / 100) ** (-1) + c["height"] * 0.1 * mult


def seed_space(hp: Any) -> dict[str, Any]:
    return {"activation": hp.choice("activation", [{"activation": "relu", "mult": hp.uniform("mult", 1, 2)},
                                                   {"activation": "tanh"}]),
            "width": hp.uniform("width", 0, 20), "height": hp.uniform("height", -100, 100)}


def seed_optuna(trial: Any) -> dict[str, Any]:
    act = trial.suggest_categorical("activation", ["relu", "tanh"])
    a: dict[str, Any] = {"activation": act}
    if act == "relu":
        a["mult"] = trial.suggest_float("mult", 1, 2)
    return {"activation": a, "width": trial.suggest_float("width", 0, 20), "height": trial.suggest_float("height", -100, 100)}


QUALITY: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any], Callable[[dict[str, Any]], float], float]] = {
    "Branin": (branin_space, branin_optuna, branin, 0.397887),
    "Hartmann-3": (hartmann3_space, hartmann3_optuna, hartmann3, -3.86278),
    "Mixed-10": (space10, optuna10, mixed10, 0.0),
    "Seed (conditional)": (seed_space, seed_optuna, seed_objective, -9.95),
}
