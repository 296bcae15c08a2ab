"""PromQL text helpers for the dashboards: nesting with readable indentation, and the joins the
kit's queries use to add labels of an info metric to a series.

They only assemble text; scripts/check-kit parses every resulting query with Prometheus' grammar
and checks its metrics and labels against the exporter's contract (scripts/kit/contract.py).
"""


def indent(expr, spaces=2):
    pad = " " * spaces
    return "\n".join(pad + line for line in expr.split("\n"))


def block(expr):
    """(\\n  expr\\n): a parenthesised sub-expression on lines of its own."""
    return "(\n" + indent(expr) + "\n)"


def max_by(labels, expr):
    """max by (labels) (expr), one line per operand of expr. max rather than sum: several exporters
    (sidecars, replicas) may report the same cluster, and their series must count once."""
    return f"max by ({labels}) " + block(expr)


def group_left(left, on, labels, right):
    """left * on(on) group_left(labels) right: left's series, with `labels` copied from the
    matching series of right (an info metric whose value is 1)."""
    return f"{left}\n* on({on}) group_left({labels})\n{right}"


def or_one(metric, on, fallback):
    """metric, or 1 where metric has no series matching fallback's on `on`: the right-hand side
    of a join that must not drop the left series lacking an optional info metric."""
    return f"{metric}\nor on({on})\n0 * {fallback} + 1"


def with_optional_label(left, on, label, info_metric, fallback):
    """left, with `label` of info_metric where there is one (empty where there is none)."""
    return group_left(left, on, label, block(or_one(info_metric, on, fallback)))


def label_replace(expr, dst, replacement, src, regex):
    """label_replace(expr, dst, replacement, src, regex): Prometheus anchors the regex."""
    return f'label_replace(\n{indent(expr)},\n  "{dst}", "{replacement}", "{src}", "{regex}"\n)'
