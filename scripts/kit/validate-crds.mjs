// Validates Prometheus Operator resources (ServiceMonitor, PodMonitor, PrometheusRule) against
// the schemas of @kubernetes-models/prometheus-operator, generated from the operator's Go types.
// Reads a JSON array of {"file", "doc"} on stdin; prints a JSON array of {"file", "kind", "name", "error"}.
// Run from the directory whose node_modules holds it (scripts/check-kit does that).
const kinds = {};
for (const kind of ["ServiceMonitor", "PodMonitor", "PrometheusRule"]) {
  kinds[kind] = (await import(`@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`))[kind];
}
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const docs = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const out = docs.map(({ file, doc }) => {
  const r = { file, kind: doc.kind, name: doc.metadata && doc.metadata.name, error: null };
  const Model = kinds[doc.kind];
  if (doc.apiVersion !== "monitoring.coreos.com/v1" || !Model) {
    r.error = `no schema for ${doc.apiVersion} ${doc.kind}`;
    return r;
  }
  try { new Model(doc).validate(); } catch (e) { r.error = String(e.message || e); }
  return r;
});
process.stdout.write(JSON.stringify(out));
