#!/usr/bin/env python3
"""Checks of the monitoring kit, run by scripts/check-kit.

Each subcommand prints one line per check, `PASS <name>` or `FAIL <name>`, a failure
followed by indented detail lines. scripts/check-kit counts them.

Needs PyYAML and jsonschema (scripts/check-kit installs them in its own virtualenv).
"""

import fnmatch
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
KIT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(KIT))
import contract  # noqa: E402

RUNBOOKS = ROOT / "docs" / "runbooks.md"
SEVERITIES = {"critical", "warning", "info"}
PANEL_TYPES = {"stat", "timeseries", "table", "state-timeline", "bargauge", "gauge", "text", "row", "piechart",
               "status-history", "barchart", "heatmap"}
CORE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Service", "Secret", "ConfigMap", "ServiceAccount",
              "NetworkPolicy", "PodDisruptionBudget"}
CRD_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}


class Report:
    def __init__(self):
        self.failed = 0

    def result(self, name, problems):
        problems = [p for p in problems if p]
        if problems:
            self.failed += 1
            print(f"FAIL {name}")
            for p in problems:
                for line in str(p).splitlines() or [""]:
                    print(f"    {line}")
        else:
            print(f"PASS {name}")
        sys.stdout.flush()


def rel(path):
    return str(pathlib.Path(path).resolve().relative_to(ROOT))


def load_script(name):
    """A Python script of scripts/ (no .py suffix) as a module, without running its main()."""
    path = ROOT / "scripts" / name
    spec = importlib.util.spec_from_loader(name.replace("-", "_"), loader=None)
    mod = importlib.util.module_from_spec(spec)
    mod.__file__ = str(path)
    exec(compile(path.read_text(), str(path), "exec"), mod.__dict__)
    return mod


def load_list_queries():
    return load_script("list-queries")


def rule_sets():
    """(rule file, its unit tests, its PrometheusRule) for every plain rule file of the kit."""
    out = []
    for source, target, _name in load_script("gen-prometheusrule").RULE_SETS:
        rules = ROOT / source
        out.append((rules, rules.parent / "tests" / (rules.name.rsplit(".", 1)[0] + ".test.yaml"), ROOT / target))
    return out


def kit_files(exts):
    out = []
    for top in ("dashboards", "alerts", "deploy"):
        for p in sorted((ROOT / top).rglob("*")):
            if p.is_file() and p.suffix in exts:
                out.append(p)
    return out


def yaml_docs(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


# ----------------------------------------------------------------------------- parse

def cmd_parse(r, _args):
    files = kit_files({".yaml", ".yml", ".json"})
    if not files:
        r.result("parse: YAML and JSON files found under dashboards/ alerts/ deploy/", ["none found"])
    for p in files:
        problems = []
        try:
            if p.suffix == ".json":
                json.loads(p.read_text())
            else:
                docs = yaml_docs(p)
                if not docs:
                    problems.append("no YAML document")
        except Exception as e:  # noqa: BLE001
            problems.append(f"{type(e).__name__}: {e}")
        r.result(f"parse {rel(p)}", problems)


# ----------------------------------------------------------------------------- rules

def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def cmd_rules(r, _args):
    sets = rule_sets()
    listed = {rules for rules, _, _ in sets}
    r.result("rules: every rule file in alerts/ has a PrometheusRule in scripts/gen-prometheusrule's RULE_SETS",
             [f"{rel(p)} is not in RULE_SETS" for p in sorted((ROOT / "alerts").glob("*.y*ml")) if p not in listed])
    headings = [line[3:].strip() for line in RUNBOOKS.read_text().splitlines() if line.startswith("## ")]
    anchors = {slug(h): h for h in headings}
    names = []
    for rules, tests, promrule in sets:
        names += check_rule_file(r, rules, tests, promrule, anchors)

    r.result("rules: alert names are unique across the rule files",
             [f"duplicate {n}" for n in sorted(set(names)) if names.count(n) > 1])
    alert_anchors = {n.lower() for n in names}
    orphans = [h for h in headings if h.startswith("KafkaConnect") and slug(h) not in alert_anchors]
    r.result("runbooks: every alert has a section and every alert section has an alert",
             [f"section without an alert: {h}" for h in orphans]
             + [f"alert without a section: {n}" for n in names if n.lower() not in anchors])


def check_rule_file(r, rules, tests_path, promrule, anchors):
    """Lint one rule file, its unit tests and its PrometheusRule; returns its alert names."""
    text = rules.read_text()
    doc = yaml.safe_load(text)
    m = re.search(r"^# runbook-base: (\S+)\s*$", text, re.M)
    base = m.group(1) if m else None
    alerts = [rule for g in doc["groups"] for rule in g["rules"] if "alert" in rule]
    allowed_labels = contract.all_labels()
    names = [a["alert"] for a in alerts]
    r.result(f"rules {rel(rules)}: the runbook base is declared once in a '# runbook-base:' comment",
             [] if base and len(re.findall(r"^# runbook-base:", text, re.M)) == 1 else ["missing or repeated"])

    for a in alerts:
        name = a["alert"]
        problems = []
        sev = (a.get("labels") or {}).get("severity")
        if sev not in SEVERITIES:
            problems.append(f"severity {sev!r} not in {sorted(SEVERITIES)}")
        ann = a.get("annotations") or {}
        for key in ("summary", "description", "runbook_url"):
            if not str(ann.get(key, "")).strip():
                problems.append(f"annotation {key} missing")
        want = f"{base}docs/runbooks.md#{name.lower()}" if base else None
        if ann.get("runbook_url") != want:
            problems.append(f"runbook_url {ann.get('runbook_url')!r}, expected {want!r}")
        anchor = str(ann.get("runbook_url", "")).rpartition("#")[2]
        if anchor not in anchors:
            problems.append(f"anchor #{anchor} is not a heading of docs/runbooks.md")
        if "for" not in a:
            problems.append("no `for:` (write `for: 0m` to fire at once)")
        for key, value in ann.items():
            for label in re.findall(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)", str(value)):
                if label not in allowed_labels:
                    problems.append(f"annotation {key} uses $labels.{label}, not a label of the contract")
        if name == "KafkaConnectExporterDown":
            matchers = set(re.findall(r'job\s*=~?\s*"[^"]*"', a["expr"]))
            if len(matchers) != 1:
                problems.append(f"the job matcher differs between its uses: {sorted(matchers)}")
        r.result(f"rules: {name} has severity, summary, description, runbook_url", problems)

    # Unit tests: every alert shown firing (with exact labels and annotations) and not firing.
    problems = []
    if not tests_path.exists():
        problems.append(f"{rel(rules)} has no unit tests: write {tests_path.relative_to(ROOT)}")
    else:
        tests = yaml.safe_load(tests_path.read_text())
        firing, quiet = set(), set()
        for t in tests.get("tests") or []:
            for art in t.get("alert_rule_test") or []:
                exp = art.get("exp_alerts") or []
                if exp:
                    firing.add(art["alertname"])
                    for e in exp:
                        if "severity" not in (e.get("exp_labels") or {}):
                            problems.append(f"{art['alertname']} at {art['eval_time']}: exp_labels without severity")
                        missing = {"summary", "description", "runbook_url"} - set(e.get("exp_annotations") or {})
                        if missing:
                            problems.append(
                                f"{art['alertname']} at {art['eval_time']}: exp_annotations lack {sorted(missing)}")
                else:
                    quiet.add(art["alertname"])
        problems += [f"{n}: never shown firing" for n in names if n not in firing]
        problems += [f"{n}: never shown not firing" for n in names if n not in quiet]
        problems += [f"tests name an unknown alert {n}" for n in sorted((firing | quiet) - set(names))]
    r.result(f"rule tests {rel(tests_path)}: every alert is shown firing (exact labels and annotations) "
             "and not firing", problems)

    # The PrometheusRule manifest carries the same groups.
    problems = []
    try:
        docs = yaml_docs(promrule)
        if len(docs) != 1:
            problems.append(f"{len(docs)} documents, expected 1")
        m = docs[0]
        if m.get("apiVersion") != "monitoring.coreos.com/v1" or m.get("kind") != "PrometheusRule":
            problems.append("not a monitoring.coreos.com/v1 PrometheusRule")
        if (m.get("spec") or {}).get("groups") != doc["groups"]:
            problems.append(f"spec.groups differs from the groups of {rel(rules)}")
    except Exception as e:  # noqa: BLE001
        problems.append(str(e))
    r.result(f"prometheusrule {rel(promrule)}: spec.groups equals the groups of {rel(rules)}", problems)
    return names


# ----------------------------------------------------------------------------- dashboards

VAR_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|([A-Za-z_][A-Za-z0-9_]*))")


def walk_panels(panels):
    for p in panels or []:
        yield p
        yield from walk_panels(p.get("panels"))


def cmd_dashboards(r, _args):
    uids = {}
    files = sorted((ROOT / "dashboards").glob("*.json"))
    r.result("dashboards: dashboards/*.json exist", [] if files else ["none"])
    for path in files:
        problems = []
        d = json.loads(path.read_text())
        uid = d.get("uid")
        if not uid or len(uid) > 40:
            problems.append(f"uid {uid!r} missing or longer than 40 characters")
        elif uid in uids:
            problems.append(f"uid {uid} also used by {uids[uid]}")
        uids[uid] = path.name
        if not d.get("title"):
            problems.append("no title")
        if not isinstance(d.get("schemaVersion"), int) or not 36 <= d["schemaVersion"] <= 41:
            problems.append(f"schemaVersion {d.get('schemaVersion')!r}, expected 36..41")
        if d.get("id") is not None:
            problems.append("id must be null so that import and provisioning create the dashboard")
        variables = {v.get("name"): v for v in (d.get("templating") or {}).get("list", [])}
        ds = variables.get("datasource")
        if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
            problems.append("no `datasource` variable of type datasource for prometheus")
        cc = variables.get("connect_cluster")
        if not cc:
            problems.append("no `connect_cluster` variable")
        else:
            q = cc.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            if re.sub(r"\s", "", str(q)) != "label_values(kconnect_up,connect_cluster)":
                problems.append(f"connect_cluster variable query {q!r}, expected label_values(kconnect_up, connect_cluster)")
            if not (cc.get("multi") and cc.get("includeAll")):
                problems.append("connect_cluster variable must be multi-value with All")
        for name, v in variables.items():
            if v.get("type") == "query" and v.get("datasource") != {"type": "prometheus", "uid": "${datasource}"}:
                problems.append(f"variable {name}: datasource must be ${{datasource}}")
        ids, boxes = set(), []
        for p in walk_panels(d.get("panels")):
            title = p.get("title") or f"panel {p.get('id')}"
            if p.get("id") in ids:
                problems.append(f"{title}: duplicate panel id {p.get('id')}")
            ids.add(p.get("id"))
            if p.get("type") not in PANEL_TYPES:
                problems.append(f"{title}: unknown panel type {p.get('type')!r}")
            gp = p.get("gridPos") or {}
            if not all(isinstance(gp.get(k), int) for k in "hwxy") or gp["x"] + gp["w"] > 24:
                problems.append(f"{title}: bad gridPos {gp}")
            else:
                box = (gp["x"], gp["y"], gp["x"] + gp["w"], gp["y"] + gp["h"])
                for other_title, o in boxes:
                    if box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3]:
                        problems.append(f"{title}: overlaps {other_title}")
                boxes.append((title, box))
            if p.get("type") == "row":
                continue
            if not p.get("description"):
                problems.append(f"{title}: no description")
            if p.get("datasource") != {"type": "prometheus", "uid": "${datasource}"}:
                problems.append(f"{title}: panel datasource must be ${{datasource}}, is {p.get('datasource')}")
            refs = []
            for t in p.get("targets") or []:
                refs.append(t.get("refId"))
                if t.get("datasource") != {"type": "prometheus", "uid": "${datasource}"}:
                    problems.append(f"{title}: target {t.get('refId')} datasource must be ${{datasource}}")
                if not str(t.get("expr", "")).strip():
                    problems.append(f"{title}: target {t.get('refId')} has no expr")
                for m in VAR_REF.finditer(str(t.get("expr", ""))):
                    var = m.group(1) or m.group(2)
                    if not var.startswith("__") and var not in variables:
                        problems.append(f"{title}: uses ${var}, which is not a variable of the dashboard")
            if not refs:
                problems.append(f"{title}: no query")
            if len(refs) != len(set(refs)):
                problems.append(f"{title}: duplicate refIds {refs}")
        r.result(f"dashboard {path.name}: structure, variables, data source of every panel", problems)


# ----------------------------------------------------------------------------- promql

def inspect(exprs, node_dir):
    proc = subprocess.run(["node", str(pathlib.Path(node_dir) / "promql-inspect.mjs")], cwd=node_dir,
                          input=json.dumps(exprs), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"promql-inspect failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def cmd_promql(r, args):
    node_dir = args[0]
    lq = load_list_queries()
    queries = lq.collect(raw=False, rate_interval="5m")
    raw = lq.collect(raw=True)
    r.result("list-queries: finds queries in every dashboard and rule file",
             [f"{p.name}: none" for p in sorted((ROOT / "dashboards").glob("*.json")) + [rules for rules, _, _ in rule_sets()]
              if not any(q["source"] == rel(p) for q in queries)])
    try:
        results = inspect([q["expr"] for q in queries], node_dir)
    except Exception as e:  # noqa: BLE001
        r.result("promql: parse every query with the PromQL grammar", [str(e)])
        return
    known = {**contract.METRICS, **contract.PROMETHEUS_SERIES, **contract.EXTERNAL_SERIES}
    all_labels = contract.all_labels()
    by_source = {}
    for q, raw_q, res in zip(queries, raw, results):
        problems = by_source.setdefault(q["source"], [])
        where = q["where"]
        if res["error"]:
            problems.append(f"{where}: {res['error']}")
        for sel in res["selectors"]:
            name = sel["name"]
            if name is None:
                problems.append(f"{where}: a selector without a metric name")
                continue
            if name not in known:
                problems.append(f"{where}: metric {name} is not in the contract")
                continue
            labels = known[name] | contract.TARGET_LABELS
            for m in sel["matchers"]:
                if m["label"] not in labels:
                    problems.append(f"{where}: {name} has no label {m['label']}")
                allowed = contract.LABEL_VALUES.get((name, m["label"]))
                if allowed and m["op"] in ("=", "!=") and m["value"] not in allowed:
                    problems.append(f"{where}: {name}{{{m['label']}{m['op']}\"{m['value']}\"}}: value not in {sorted(allowed)}")
        for label in res["grouping"]:
            if label not in all_labels:
                problems.append(f"{where}: grouping by {label}, which no metric of the contract has")
        if "$" in q["expr"]:
            problems.append(f"{where}: variable left after substitution: {raw_q['expr']}")
    for source, problems in by_source.items():
        n = sum(1 for q in queries if q["source"] == source)
        r.result(f"promql {source}: {n} queries parse and use only metrics and labels of the contract", problems)


def cmd_promql_promtool(r, _args):
    """Parse every query with Prometheus' own parser: as recording rules through promtool."""
    lq = load_list_queries()
    queries = lq.collect(raw=False, rate_interval="5m")
    rules = [{"record": f"kit:query_{i}", "expr": q["expr"]} for i, q in enumerate(queries)]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "all-kit-queries", "rules": rules}]}, f)
        tmp = f.name
    try:
        proc = subprocess.run(["promtool", "check", "rules", tmp], capture_output=True, text=True, check=False)
    finally:
        os.unlink(tmp)
    problems = []
    if proc.returncode != 0:
        out = proc.stdout + proc.stderr
        problems.append(out.strip())
        for m in re.finditer(r"kit:query_(\d+)", out):
            q = queries[int(m.group(1))]
            problems.append(f"query {m.group(1)} = {q['source']} / {q['where']}")
    r.result(f"promql: all {len(queries)} queries pass Prometheus' parser (promtool check rules)", problems)


# ----------------------------------------------------------------------------- kubernetes

def pod_spec(doc):
    if doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet"):
        return ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
    return None


def pod_labels(doc):
    return (((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def exporter_containers(spec):
    return [c for c in spec.get("containers") or [] if "kconnect-exporter" in str(c.get("image", ""))]


def cmd_k8s(r, args):
    kv, node_dir = args[0], args[1]
    files = sorted((ROOT / "deploy" / "kubernetes").glob("*.y*ml"))
    all_docs = []
    crds = []
    for path in files:
        problems = []
        docs = yaml_docs(path)
        for d in docs:
            all_docs.append((path, d))
            if d.get("kind") in CRD_KINDS:
                crds.append({"file": rel(path), "doc": d})
            elif d.get("kind") not in CORE_KINDS:
                problems.append(f"kind {d.get('kind')} is neither a checked core kind nor a Prometheus Operator kind")
        if any(d.get("kind") in CORE_KINDS for d in docs):
            proc = subprocess.run([kv, "--strict", "--kubernetes-version", "1.30.0", str(path)],
                                  capture_output=True, text=True, check=False)
            out = (proc.stdout + proc.stderr).strip()
            if proc.returncode != 0 or "ERROR" in out:
                problems.append(out)
        kinds = ", ".join(sorted({str(d.get("kind")) for d in docs if d.get("kind") in CORE_KINDS})) or "no core kinds"
        r.result(f"k8s {rel(path)}: schema of Kubernetes 1.30, strict ({kinds})", problems)
    if crds:
        proc = subprocess.run(["node", str(pathlib.Path(node_dir) / "validate-crds.mjs")], cwd=node_dir,
                              input=json.dumps(crds), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            r.result("k8s: Prometheus Operator resources against their schemas", [proc.stderr.strip()])
        else:
            for res in json.loads(proc.stdout):
                r.result(f"k8s {res['file']}: {res['kind']} {res['name']} against the prometheus-operator schema",
                         [res["error"]])

    # Cross-references and the settings the kit promises.
    def find(kind, name=None):
        return [(p, d) for p, d in all_docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]

    problems = []
    deps = find("Deployment", "kconnect-exporter")
    svcs = find("Service", "kconnect-exporter")
    if not deps or not svcs:
        problems.append("standalone Deployment or Service kconnect-exporter missing")
    else:
        dep, svc = deps[0][1], svcs[0][1]
        spec = pod_spec(dep)
        if not matches(svc["spec"].get("selector"), pod_labels(dep)):
            problems.append("Service selector does not select the Deployment's pods")
        if not matches(dep["spec"]["selector"].get("matchLabels"), pod_labels(dep)):
            problems.append("Deployment selector does not match its pod labels")
        c = exporter_containers(spec)[0]
        ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
        if 9840 not in ports.values():
            problems.append("exporter container does not expose 9840")
        for probe, path in (("livenessProbe", "/-/healthy"), ("readinessProbe", "/-/ready")):
            if ((c.get(probe) or {}).get("httpGet") or {}).get("path") != path:
                problems.append(f"{probe} must GET {path}")
        env = {e["name"]: e for e in c.get("env") or []}
        ids = [i.strip() for i in env.get("CONNECT_RESOURCE_IDS", {}).get("value", "").split(",") if i.strip()]
        if len(ids) < 2:
            problems.append("CONNECT_RESOURCE_IDS must list several clusters")
        for i in ids:
            if f"{i}_CONNECT_REST_URL" not in env:
                problems.append(f"{i}_CONNECT_REST_URL missing")
        if not any("secretKeyRef" in (e.get("valueFrom") or {}) for e in env.values()):
            problems.append("no credential from a Secret (env valueFrom secretKeyRef)")
        sc = c.get("securityContext") or {}
        if not sc.get("readOnlyRootFilesystem") or sc.get("allowPrivilegeEscalation") is not False:
            problems.append("container must be read-only and without privilege escalation")
        if not (sc.get("runAsNonRoot") or (spec.get("securityContext") or {}).get("runAsNonRoot")):
            problems.append("must run as non-root")
        if not (c.get("resources") or {}).get("requests") or not (c.get("resources") or {}).get("limits"):
            problems.append("resources requests and limits missing")
        for _p, sm in find("ServiceMonitor"):
            if not matches(sm["spec"]["selector"].get("matchLabels"), svc["metadata"].get("labels") or {}):
                problems.append(f"ServiceMonitor {sm['metadata']['name']} does not select Service kconnect-exporter")
            svc_ports = {p.get("name") for p in svc["spec"].get("ports") or []}
            for ep in sm["spec"].get("endpoints") or []:
                if ep.get("port") not in svc_ports:
                    problems.append(f"ServiceMonitor endpoint port {ep.get('port')} is not a port of the Service")
    r.result("k8s: standalone Deployment, Service and ServiceMonitor fit together (probes, secrets, securityContext)",
             problems)

    problems = []
    sidecars = [(p, d) for p, d in all_docs if pod_spec(d) is not None and d["metadata"]["name"] != "kconnect-exporter"]
    if not sidecars:
        problems.append("no workload with an exporter sidecar")
    for _p, wl in sidecars:
        spec = pod_spec(wl)
        exp = exporter_containers(spec)
        if not exp or len(spec.get("containers") or []) < 2:
            problems.append(f"{wl['metadata']['name']}: no exporter sidecar beside the worker")
            continue
        env = {e["name"]: e.get("value") for e in exp[0].get("env") or []}
        if not any(k.endswith("CONNECT_REST_URL") and str(v).startswith("http://localhost:8083") for k, v in env.items()):
            problems.append("the sidecar must observe http://localhost:8083")
        pms = find("PodMonitor")
        if not pms:
            problems.append("no PodMonitor for the sidecars")
        for _q, pm in pms:
            if not matches(pm["spec"]["selector"].get("matchLabels"), pod_labels(wl)):
                problems.append(f"PodMonitor {pm['metadata']['name']} does not select {wl['metadata']['name']}'s pods")
            names = {p.get("name") for p in exp[0].get("ports") or []}
            for ep in pm["spec"].get("podMetricsEndpoints") or []:
                if ep.get("port") not in names:
                    problems.append(f"PodMonitor port {ep.get('port')} is not a port of the sidecar")
    r.result("k8s: sidecar workload and PodMonitor fit together", problems)


# ----------------------------------------------------------------------------- compose

def cmd_compose(r, _args):
    base = ROOT / "deploy" / "docker-compose"
    path = base / "docker-compose.yaml"
    text = path.read_text()
    doc = yaml.safe_load(text)
    # Validate with compose-spec (bindings of the Rust compose_spec crate: the Compose
    # Specification, unknown keys rejected). It does not interpolate, so apply the defaults of
    # ${VAR:-default} first, as `docker compose` does with VAR unset.
    problems = []
    try:
        from compose_spec import PyCompose

        PyCompose.from_yaml(re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}", r"\1", text))
    except Exception as e:  # noqa: BLE001
        problems.append(f"{type(e).__name__}: {e}")
    r.result(f"compose {rel(path)}: Compose Specification (compose-spec, strict)", problems)

    problems = []
    services = doc.get("services") or {}
    for want in ("kafka", "connect", "kconnect-exporter", "prometheus", "grafana"):
        if want not in services:
            problems.append(f"service {want} missing")
    mounts = {}
    for name, svc in services.items():
        for v in svc.get("volumes") or []:
            if isinstance(v, str) and v.startswith("."):
                src, _, rest = v.partition(":")
                target = rest.split(":")[0]
                mounts[(name, target)] = src
                if not (base / src).exists():
                    problems.append(f"{name}: mounted file {src} does not exist")
    exp = services.get("kconnect-exporter", {})
    build = exp.get("build") or {}
    if not (base / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).exists():
        problems.append("kconnect-exporter is not built from the repository's Dockerfile")
    if "kafka" in services and "apache/kafka" not in str(services["kafka"].get("image")):
        problems.append("kafka must use the apache/kafka image")
    if "KAFKA_PROCESS_ROLES" not in (services.get("kafka", {}).get("environment") or {}):
        problems.append("kafka must run in KRaft mode (KAFKA_PROCESS_ROLES)")
    # Prometheus loads the rules it mounts.
    prom = yaml.safe_load((base / "prometheus.yml").read_text())
    rule_globs = prom.get("rule_files") or []
    rule_targets = [t for (svc, t), src in mounts.items() if svc == "prometheus" and src.endswith("alerts/kconnect-alerts.yaml")]
    if not rule_targets:
        problems.append("prometheus does not mount alerts/kconnect-alerts.yaml")
    elif not any(fnmatch.fnmatch(t, g) for t in rule_targets for g in rule_globs):
        problems.append(f"prometheus.yml rule_files {rule_globs} do not match the mounted {rule_targets}")
    jobs = [sc.get("job_name", "") for sc in prom.get("scrape_configs") or []]
    if not any(re.fullmatch(".*kconnect.*", j) for j in jobs):
        problems.append("no scrape job matching KafkaConnectExporterDown's job=~\".*kconnect.*\"")
    # Grafana provisions the dashboards from the folder the provider names.
    prov = yaml.safe_load((ROOT / "dashboards" / "provisioning" / "dashboards.yaml").read_text())
    folder = prov["providers"][0]["options"]["path"].rstrip("/")
    for dash in sorted((ROOT / "dashboards").glob("*.json")):
        if ("grafana", f"{folder}/{dash.name}") not in mounts:
            problems.append(f"grafana does not mount {dash.name} into {folder}")
    targets = {t for (svc, t) in mounts if svc == "grafana"}
    for need in ("/etc/grafana/provisioning/dashboards/", "/etc/grafana/provisioning/datasources/"):
        if not any(t.startswith(need) for t in targets):
            problems.append(f"grafana does not mount a provisioning file into {need}")
    r.result("compose: services, mounted files, rules loaded by Prometheus, dashboards provisioned in Grafana", problems)


# ----------------------------------------------------------------------------- dockerfile

def dockerignore_excludes(patterns, path):
    excluded = False
    for pat in patterns:
        neg = pat.startswith("!")
        p = pat[1:] if neg else pat
        p = p.rstrip("/")
        parts = path.split("/")
        hit = any(fnmatch.fnmatch("/".join(parts[:i]), p) for i in range(1, len(parts) + 1))
        if hit:
            excluded = not neg
    return excluded


def cmd_dockerfile(r, _args):
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    problems = []
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", joined, re.M | re.I)
    if len(froms) < 2:
        problems.append("not multi-stage")
    elif not froms[0][0].startswith("rust:"):
        problems.append(f"builder stage is {froms[0][0]}, expected a rust image")
    if not re.search(r"^RUN .*scripts/build-release\s", joined, re.M):
        problems.append("the builder does not run scripts/build-release")
    if not re.search(r"^EXPOSE\s+9840\b", joined, re.M):
        problems.append("EXPOSE 9840 missing")
    if not re.search(r'^HEALTHCHECK .*CMD \["/kconnect-exporter", "--healthcheck"\]', joined, re.M):
        problems.append('HEALTHCHECK CMD ["/kconnect-exporter", "--healthcheck"] missing')
    users = re.findall(r"^USER\s+(\S+)", joined, re.M)
    if not users or users[-1].split(":")[0] in ("0", "root"):
        problems.append("the runtime stage must set a non-root USER")
    for label in ("title", "description", "source", "version", "revision", "created", "licenses"):
        if f"org.opencontainers.image.{label}=" not in joined:
            problems.append(f"OCI label org.opencontainers.image.{label} missing")
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    copied = re.findall(r"^COPY\s+(?!--from)(.+)$", joined, re.M)
    for line in copied:
        for src in line.split()[:-1]:
            if dockerignore_excludes(patterns, src.rstrip("/")):
                problems.append(f".dockerignore excludes {src}, which the Dockerfile copies")
    for src in ("target", ".git"):
        if not dockerignore_excludes(patterns, src):
            problems.append(f".dockerignore does not exclude {src}")
    # cargo refuses a manifest whose declared targets are missing: keep all of them in the context.
    needed = ["Cargo.toml", "Cargo.lock", "build.rs", "src/main.rs", "scripts/build-release"]
    manifest = (ROOT / "Cargo.toml").read_text() if (ROOT / "Cargo.toml").exists() else ""
    needed += re.findall(r'^path\s*=\s*"([^"]+)"', manifest, re.M)
    for section, folder in (("bench", "benches"), ("example", "examples"), ("test", "tests")):
        for block in re.findall(r"^\[\[" + section + r"\]\]\n((?:[^\[\n].*\n?)*)", manifest, re.M):
            if "path" not in block:
                name = re.search(r'^name\s*=\s*"([^"]+)"', block, re.M)
                if name:
                    needed.append(f"{folder}/{name.group(1)}.rs")
    for src in needed:
        if dockerignore_excludes(patterns, src):
            problems.append(f".dockerignore excludes {src}, which the build needs")
    build = (ROOT / "scripts" / "build-release").read_text()
    if "cargo" not in build or "--release" not in build or "--locked" not in build:
        problems.append("scripts/build-release does not run cargo build --release --locked")
    r.result("Dockerfile: builder runs scripts/build-release, port, healthcheck, non-root, OCI labels, .dockerignore",
             problems)


# ----------------------------------------------------------------------------- contract

GOLDEN = ROOT / "tests" / "golden" / "exposition.prom"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def cmd_contract(r, _args):
    """scripts/kit/contract.py against the exporter's own output (its golden exposition test)."""
    problems = []
    if not GOLDEN.exists():
        r.result("contract: scripts/kit/contract.py matches the exporter's golden exposition",
                 [f"{rel(GOLDEN)} not found: point kitcheck.py's GOLDEN at the exporter's golden exposition"])
        return
    seen = {}
    for line in GOLDEN.read_text().splitlines():
        m = SAMPLE.match(line)
        if not m or line.startswith("#"):
            continue
        name, labels = m.group(1), {k for k, _ in LABEL.findall(m.group(2) or "")}
        seen.setdefault(name, set()).update(labels)
    for name, labels in sorted(seen.items()):
        if name not in contract.METRICS:
            problems.append(f"the exporter exposes {name}, which scripts/kit/contract.py lacks")
            continue
        # An optional label is left out of series whose value is unknown, so the exposition may
        # lack it; every other label of the contract must be there, and nothing else.
        want = contract.METRICS[name]
        optional = {label for metric, label in contract.OPTIONAL_LABELS if metric == name}
        if not (want - optional) <= labels <= want:
            problems.append(f"{name}: the exporter's labels {sorted(labels)} != contract.py's {sorted(want)}"
                            + (f" (optional: {sorted(optional)})" if optional else ""))
    for name in sorted(contract.METRICS):
        if name.startswith("kconnect_") and name not in seen:
            problems.append(f"contract.py lists {name}, which {rel(GOLDEN)} does not show")
    r.result(f"contract: scripts/kit/contract.py matches the exporter's golden exposition ({rel(GOLDEN)})", problems)


COMMANDS = {
    "contract": cmd_contract,
    "parse": cmd_parse,
    "rules": cmd_rules,
    "dashboards": cmd_dashboards,
    "promql": cmd_promql,
    "promql-promtool": cmd_promql_promtool,
    "k8s": cmd_k8s,
    "compose": cmd_compose,
    "dockerfile": cmd_dockerfile,
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: kitcheck.py {{{'|'.join(COMMANDS)}}} [args]")
    r = Report()
    try:
        COMMANDS[sys.argv[1]](r, sys.argv[2:])
    except Exception as e:  # noqa: BLE001
        import traceback
        r.result(f"{sys.argv[1]}: ran to the end", [f"{type(e).__name__}: {e}", traceback.format_exc()])
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
