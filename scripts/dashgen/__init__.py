"""The kit's Grafana dashboards, built with grafana-foundation-sdk (run by scripts/gen-dashboards).

    panels.py     typed building blocks over the SDK: queries, panels, overrides, variables, layout
    promql.py     PromQL text helpers (nesting, info-metric joins)
    kconnect.py   what the dashboards share: selectors, states, joins, variables, the frame
    overview.py, connector.py, exporter.py: one dashboard each

To add a panel, call a function of panels.py in a dashboard module and `board.add(panel, w, h)`
it where it belongs: panels flow left to right, so nothing else moves by hand. To add a
dashboard, write a module with a build() returning the SDK's Dashboard and list it below.
"""

from . import connector, exporter, overview

# file name under dashboards/ -> function building the dashboard
DASHBOARDS = {
    "kconnect-overview.json": overview.build,
    "kconnect-connector.json": connector.build,
    "kconnect-exporter.json": exporter.build,
}
