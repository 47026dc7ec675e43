"""The part of hyperopt's ``pyll`` that spaces use: ``scope.int``."""
from __future__ import annotations

from typing import Any

from .._space import HPNode


class _Scope:
    def int(self, node: Any) -> Any:
        """An integer-valued parameter: ``scope.int(hp.quniform(label, low, high, q))`` becomes
        ``hp.uniformint(label, low, high, q)``; `randint` and `uniformint` already are integers."""
        if not isinstance(node, HPNode):
            return int(node)
        if node.kind in ("randint", "uniformint"):
            return node
        if node.kind == "quniform" and float(node.args["q"]).is_integer() and all(
                float(node.args[k]).is_integer() for k in ("low", "high")):
            return HPNode("uniformint", node.label, {"low": int(node.args["low"]), "high": int(node.args["high"]),
                                                     "q": int(node.args["q"])})
        raise ValueError(
            f"scope.int({node!r}): swifttune supports scope.int over quniform with integer bounds and step "
            "(or use hp.uniformint / hp.randint)"
        )


scope = _Scope()
