#!/usr/bin/env python3
"""Run the alert rules' promtool tests with task or connector states in the exporter's current-state-only shape.

    current_states.py alerts/tests/kconnect-alerts.test.yaml --task-states [--connector-states] [--out DIR]

The exporter exposes kconnect_task_state and kconnect_connector_state either as state sets (the
default: one series per state, 1 for the task's or connector's state, 0 for the others) or, with
--metrics.task-states=current and --metrics.connector-states=current, as the current state only
(one series per task or connector, value 1). The committed tests are written with state sets. This
script derives from a test file the same tests with every input series of the chosen families in
the current-state-only shape, and runs `promtool test rules` on them: the expected alerts are those
of the committed file, unchanged.

The derivation touches nothing but the values of those series:
  * a sample of 1 stays;
  * a sample of 0 becomes absent: `stale` where the series had a sample just before (Prometheus
    writes a staleness marker when a series it scraped is gone from the next scrape), `_` otherwise;
  * `_` stays, and so does `stale` after a sample, `_` otherwise (the cluster was not observed:
    every series of it is absent either way, and Prometheus marks a series stale once);
  * a series left without any sample is dropped (its state was never the task's).
For that to be the exposition the exporter would have produced, each task's (connector's) input
must be a state set: at every step up to the test's last evaluation, either every listed series of
it has a sample, exactly one of them 1 and the others 0, or none has. A test that breaks this is reported
and not run. Samples after the last evaluation are not read by the test and not checked.

The derived file is written to a temporary directory (or to --out DIR, kept for reading) with its
rule_files made absolute. Exits with promtool's status, 2 for a test that cannot be derived.
Needs PyYAML and promtool.
"""

import argparse
import copy
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

# --flag -> (the exporter's option, the family it reduces to the current state)
FAMILIES = {
    "task_states": ("--metrics.task-states=current", "kconnect_task_state"),
    "connector_states": ("--metrics.connector-states=current", "kconnect_connector_state"),
}
MISSING = "_"
STALE = "stale"

NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?Inf|NaN"
ITEM = re.compile(rf"^(?P<a>{NUMBER})(?:(?P<step>[-+](?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)?x(?P<n>[0-9]+))?$")
BLANKS = re.compile(r"^_(?:x(?P<n>[0-9]+))?$")
SERIES = re.compile(r"^\s*(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{(?P<labels>.*)\})?\s*$", re.S)
LABEL = re.compile(r'\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*(?:,|$)')
DURATION = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000}


class NotAStateSet(Exception):
    """A test whose kconnect_task_state input is not a state set the exporter could expose."""


def expand(values):
    """promtool's series notation -> a list of floats, MISSING and STALE.

    `a` one sample; `axn` n+1 samples of a; `a+bxn` / `a-bxn` n+1 samples from a in steps of b;
    `_` one missing sample; `_xn` n missing samples; `stale` a staleness marker.

    >>> expand("1x3 _x2 stale 0+30x2 _ 5 10-5x2")
    [1.0, 1.0, 1.0, 1.0, '_', '_', 'stale', 0.0, 30.0, 60.0, '_', 5.0, 10.0, 5.0, 0.0]
    """
    out = []
    for token in str(values).split():
        if token == STALE:
            out.append(STALE)
            continue
        m = BLANKS.match(token)
        if m:
            out += [MISSING] * (int(m.group("n")) if m.group("n") else 1)
            continue
        m = ITEM.match(token)
        if not m:
            raise ValueError(f"series notation {token!r} is not understood")
        a = float(m.group("a"))
        if m.group("n") is None:
            out.append(a)
            continue
        step = float(m.group("step")) if m.group("step") else 0.0
        out += [a + i * step for i in range(int(m.group("n")) + 1)]
    return out


def compress(samples):
    """A list of 0, 1, MISSING and STALE -> promtool's series notation, runs written `vxn`.

    >>> compress([1.0, 1.0, 'stale', '_', '_', 1.0, 'stale', 'stale'])
    '1x1 stale _x2 1 stale stale'
    >>> expand(compress([0.0, 1.0, 1.0, '_'])) == [0.0, 1.0, 1.0, '_']
    True
    """
    tokens, i = [], 0
    while i < len(samples):
        j = i
        while j + 1 < len(samples) and samples[j + 1] == samples[i]:
            j += 1
        run = j - i + 1
        v = samples[i]
        if v == STALE:
            tokens += [STALE] * run
        elif v == MISSING:
            tokens.append("_" if run == 1 else f"_x{run}")
        else:
            text = f"{v:g}"
            tokens.append(text if run == 1 else f"{text}x{run - 1}")
        i = j + 1
    return " ".join(tokens)


def parse_series(text):
    """'name{a="1",b="2"}' -> (name, {label: value})."""
    m = SERIES.match(text)
    if not m:
        raise ValueError(f"series {text!r} is not understood")
    labels, rest = {}, m.group("labels") or ""
    while rest.strip():
        lm = LABEL.match(rest)
        if not lm:
            raise ValueError(f"labels of series {text!r} are not understood")
        labels[lm.group("key")] = lm.group("value")
        rest = rest[lm.end():]
    return m.group("name"), labels


def duration_ms(text):
    text = str(text)
    parts = DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"duration {text!r} is not understood")
    return sum(int(n) * UNIT_MS[u] for n, u in parts)


def last_step(test, interval_ms):
    """The index of the last sample a test's evaluations can read."""
    times = [duration_ms(a["eval_time"]) for a in test.get("alert_rule_test") or []]
    times += [duration_ms(e["eval_time"]) for e in test.get("promql_expr_test") or []]
    return max(times, default=0) // interval_ms


def state_set_problem(series, i):
    """What makes sample i of a task's series no state set, or None."""
    at = [(state, samples[i] if i < len(samples) else MISSING) for _, state, samples in series]
    present = [(state, v) for state, v in at if v not in (MISSING, STALE)]
    if not present:
        return None  # not observed: every series absent
    if len(present) != len(at):
        absent = sorted(state for state, v in at if v in (MISSING, STALE))
        return (f"{absent} have no sample while other states have one (a state set's series are all present "
                "whenever the task is observed)")
    if any(v not in (0.0, 1.0) for _, v in present):
        return f"values {dict(present)} (a state set holds 0 and 1 only)"
    ones = [state for state, v in present if v == 1.0]
    if len(ones) != 1:
        return f"{len(ones)} states are 1 {ones}, of {sorted(dict(present))} (a state set has exactly one)"
    return None


def runs(items):
    """[(i, x), ...] -> [(first i, last i, x), ...] for runs of consecutive i with the same x."""
    out = []
    for i, x in items:
        if out and out[-1][1] == i - 1 and out[-1][2] == x:
            out[-1] = (out[-1][0], i, x)
        else:
            out.append((i, i, x))
    return out


def derive_test(test, default_interval, metrics=("kconnect_task_state",)):
    """One test (a dict of the test file) with its series of `metrics` in the current-only shape;
    raises NotAStateSet. Returns (test, series rewritten, series dropped).

    A task RUNNING, FAILED from 60s, not observed at 150s and 180s, RUNNING again at 210s:
    >>> test = {"name": "t", "interval": "30s", "input_series": [
    ...     {"series": 'kconnect_task_state{task="0",state="RUNNING"}', "values": "1x1 0x2 stale _ 1"},
    ...     {"series": 'kconnect_task_state{task="0",state="FAILED"}', "values": "0x1 1x2 stale _ 0"},
    ...     {"series": 'kconnect_task_state{task="0",state="PAUSED"}', "values": "0x4 stale _ 0"},
    ...     {"series": 'kconnect_up{connect_cluster="US1"}', "values": "1x4 0x1 1"}],
    ...   "alert_rule_test": [{"eval_time": "3m30s", "alertname": "A", "exp_alerts": []}]}
    >>> derived, rewritten, dropped = derive_test(test, "1m")
    >>> for s in derived["input_series"]:
    ...     print(s["series"], s["values"])
    kconnect_task_state{task="0",state="RUNNING"} 1x1 stale _x4 1
    kconnect_task_state{task="0",state="FAILED"} _x2 1x2 stale _x2
    kconnect_up{connect_cluster="US1"} 1x4 0x1 1
    >>> rewritten, dropped
    (2, 1)

    An input that is no state set is refused, with where:
    >>> test["input_series"] = test["input_series"][:1]
    >>> try:
    ...     derive_test(test, "1m")
    ... except NotAStateSet as e:
    ...     print(e)
    t:
      kconnect_task_state{task="0"}, samples 2-4 (60s-120s): 0 states are 1 [], of ['RUNNING'] (a state set has exactly one)
    """
    name = test.get("name", "(unnamed test)")
    interval_ms = duration_ms(test.get("interval", default_interval))
    upto = last_step(test, interval_ms)
    tasks = {}
    for k, s in enumerate(test.get("input_series") or []):
        metric, labels = parse_series(s["series"])
        if metric not in metrics:
            continue
        if "state" not in labels:
            raise NotAStateSet(f"{name}: {s['series']} has no state label")
        task = (metric,) + tuple(sorted((key, v) for key, v in labels.items() if key != "state"))
        tasks.setdefault(task, []).append((k, labels["state"], expand(s["values"])))

    out = copy.deepcopy(test)
    drop, rewritten, problems = set(), 0, []
    for task, series in tasks.items():
        who = task[0] + "{" + ", ".join(f'{key}="{v}"' for key, v in task[1:]) + "}"
        wrong = [(i, state_set_problem(series, i)) for i in range(upto + 1)]
        for first, last, problem in runs([(i, p) for i, p in wrong if p]):
            span = f"sample {first}" if first == last else f"samples {first}-{last}"
            problems.append(f"{who}, {span} ({first * interval_ms / 1000:g}s"
                            f"{'' if first == last else f'-{last * interval_ms / 1000:g}s'}): {problem}")
        for k, _state, samples in series:
            current = []
            for v in samples:
                if v in (0.0, STALE):
                    # A staleness marker follows a sample; a series already gone gets none.
                    current.append(STALE if current and isinstance(current[-1], float) else MISSING)
                else:
                    current.append(v)
            if all(v in (MISSING, STALE) for v in current):
                drop.add(k)
            else:
                out["input_series"][k]["values"] = compress(current)
                rewritten += 1
    if problems:
        raise NotAStateSet(f"{name}:\n" + "\n".join(f"  {p}" for p in problems))
    out["input_series"] = [s for k, s in enumerate(out.get("input_series") or []) if k not in drop]
    return out, rewritten, len(drop)


def without(test, metrics):
    t = copy.deepcopy(test)
    t["input_series"] = [s for s in t.get("input_series") or [] if parse_series(s["series"])[0] not in metrics]
    return t


def derive(doc, source_dir, metrics):
    """The whole test file with `metrics` in the current-only shape, its rule_files made absolute."""
    out = copy.deepcopy(doc)
    out["rule_files"] = [str((source_dir / f).resolve()) for f in doc.get("rule_files") or []]
    default_interval = doc.get("evaluation_interval", "1m")
    tests, rewritten, dropped = [], 0, 0
    problems = []
    for test in doc.get("tests") or []:
        try:
            t, r, d = derive_test(test, default_interval, metrics)
        except NotAStateSet as e:
            problems.append(str(e))
            continue
        # Nothing but the series of `metrics` may differ.
        assert without(t, metrics) == without(test, metrics), test.get("name")
        tests.append(t)
        rewritten += r
        dropped += d
    if problems:
        raise NotAStateSet("\n".join(problems))
    out["tests"] = tests
    return out, rewritten, dropped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tests", type=pathlib.Path, help="a promtool test file (alerts/tests/*.test.yaml)")
    for flag, (option, metric) in FAMILIES.items():
        ap.add_argument("--" + flag.replace("_", "-"), action="store_true", help=f"{metric} as {option} exposes it")
    ap.add_argument("--out", type=pathlib.Path, help="write the derived test file into this directory and keep it")
    args = ap.parse_args()
    chosen = [flag for flag in FAMILIES if getattr(args, flag)]
    if not chosen:
        ap.error("choose --task-states, --connector-states or both")
    metrics = tuple(FAMILIES[flag][1] for flag in chosen)
    shape = " and ".join(FAMILIES[flag][0] for flag in chosen)

    doc = yaml.safe_load(args.tests.read_text())
    try:
        derived, rewritten, dropped = derive(doc, args.tests.resolve().parent, metrics)
    except (NotAStateSet, ValueError) as e:
        print(f"{args.tests}: cannot derive the tests for {shape}, input that is not a state set:\n{e}",
              file=sys.stderr)
        return 2
    print(f"{args.tests}: {len(derived['tests'])} tests for {shape}: {rewritten} series of {', '.join(metrics)} "
          f"in the current-state-only shape, {dropped} dropped (never the current state)")

    with tempfile.TemporaryDirectory(prefix="kconnect-current-states-") as tmp:
        out_dir = args.out or pathlib.Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = "-".join(flag.replace("_", "-") for flag in chosen)
        path = out_dir / args.tests.name.replace(".test.yaml", f".current-{suffix}.test.yaml")
        path.write_text(yaml.safe_dump(derived, sort_keys=False, width=1000))
        proc = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True, check=False)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
