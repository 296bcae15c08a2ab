// Reads a JSON array of PromQL expressions on stdin and prints, for each, what it uses:
//   {"error": null | "where the parse failed",
//    "selectors": [{"name": "metric" | null, "matchers": [{"label", "op", "value"}]}],
//    "grouping": ["label", ...]}
// Parses with @prometheus-io/lezer-promql, the grammar of Prometheus' own UI.
// Run from the directory whose node_modules holds it (scripts/check-kit does that).
import { parser } from "@prometheus-io/lezer-promql";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const exprs = JSON.parse(Buffer.concat(chunks).toString("utf8"));

function unquote(s) {
  if (s.startsWith("`")) return s.slice(1, -1);
  try { return JSON.parse(s.startsWith("'") ? '"' + s.slice(1, -1).replace(/"/g, '\\"') + '"' : s); }
  catch { return s.slice(1, -1); }
}

const out = exprs.map((expr) => {
  const tree = parser.parse(expr);
  const res = { error: null, selectors: [], grouping: [] };
  const cursor = tree.cursor();
  do {
    const node = cursor.node;
    if (node.type.isError && res.error === null) {
      res.error = `syntax error at offset ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 20), node.from + 20))}`;
    }
    if (node.name === "VectorSelector") {
      const sel = { name: null, matchers: [] };
      const id = node.getChild("Identifier");
      if (id) sel.name = expr.slice(id.from, id.to);
      const lm = node.getChild("LabelMatchers");
      if (lm) {
        for (const m of lm.getChildren("UnquotedLabelMatcher").concat(lm.getChildren("QuotedLabelMatcher"))) {
          const ln = m.getChild("LabelName") || m.getChild("QuotedLabelName");
          const op = m.getChild("MatchOp");
          const val = m.getChild("StringLiteral");
          sel.matchers.push({
            label: ln ? expr.slice(ln.from, ln.to) : null,
            op: op ? expr.slice(op.from, op.to) : null,
            value: val ? unquote(expr.slice(val.from, val.to)) : null,
          });
        }
      }
      res.selectors.push(sel);
    }
    if (node.name === "GroupingLabels") {
      for (const ln of node.getChildren("LabelName")) res.grouping.push(expr.slice(ln.from, ln.to));
    }
  } while (cursor.next());
  return res;
});
process.stdout.write(JSON.stringify(out));
