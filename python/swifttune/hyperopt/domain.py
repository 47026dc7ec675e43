"""hyperopt's ``Domain`` (``hyperopt.base.Domain``): an objective with its search space, and the
rules that read a result document (``loss``, ``loss_variance``, ``true_loss``, ``status``).
``Trials.average_best_error(domain)`` and hyperopt's test problems use it; ``fmin`` takes the
space (``domain.expr``) and the objective as usual."""
from __future__ import annotations

from typing import Any, Callable, Optional

from .base import STATUS_NEW

__all__ = ["Domain"]


class Domain:
    """`fn` over the space `expr` (``hp`` nodes and expressions, or a space built with hyperopt's own
    ``hp``); `name` and `loss_target` describe a test problem."""

    def __init__(self, fn: Callable[[Any], Any], expr: Any, workdir: Optional[str] = None,
                 pass_expr_memo_ctrl: Optional[bool] = None, name: Optional[str] = None,
                 loss_target: Optional[float] = None) -> None:
        from ._convert import from_pyll, is_pyll
        from .fmin import _check_labels, _hp_nodes

        if pass_expr_memo_ctrl or getattr(fn, "fmin_pass_expr_memo_ctrl", False):
            raise NotImplementedError("Domain: pass_expr_memo_ctrl (calling fn with the pyll expression, memo and ctrl) "
                                      "is not supported by swifttune: fn receives the configuration")
        self.fn = fn
        self.pass_expr_memo_ctrl = False
        self.expr = from_pyll(expr) if is_pyll(expr) else expr
        _check_labels(self.expr)
        self.params = _hp_nodes(self.expr)
        self.name = name
        self.loss_target = loss_target
        self.workdir = workdir
        self.cmd = ("domain_attachment", "FMinIter_Domain")

    def evaluate(self, config: dict[str, Any], ctrl: Any = None, attach_attachments: bool = True) -> dict[str, Any]:
        """The result document of `fn` at the assignment `config` (label -> value, choices by index)."""
        from .fmin import _result, space_eval

        result = _result(self.fn(space_eval(self.expr, config)))
        attachments = result.pop("attachments", {}) if attach_attachments else {}
        if attachments and ctrl is not None:
            for k, v in attachments.items():
                ctrl.attachments[k] = v
        return result

    def short_str(self) -> str:
        return "Domain{%s}" % str(self.fn)

    def loss(self, result: dict[str, Any], config: Any = None) -> Any:
        """The result's loss (None without one)."""
        return result.get("loss", None)

    def loss_variance(self, result: dict[str, Any], config: Any = None) -> Any:
        """The variance of the result's loss estimate (0 unless the result gives ``loss_variance``)."""
        return result.get("loss_variance", 0.0)

    def true_loss(self, result: dict[str, Any], config: Any = None) -> Any:
        """The result's ``true_loss`` when the loss is a surrogate, otherwise its loss."""
        return result["true_loss"] if "true_loss" in result else self.loss(result, config=config)

    def true_loss_variance(self, config: Any = None) -> Any:
        raise NotImplementedError("Domain.true_loss_variance is not defined (as in hyperopt)")

    def status(self, result: dict[str, Any], config: Any = None) -> Any:
        """The result's status."""
        return result["status"]

    def new_result(self) -> dict[str, Any]:
        """The result document of a trial not yet evaluated."""
        return {"status": STATUS_NEW}
