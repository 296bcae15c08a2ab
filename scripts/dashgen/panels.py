"""Building blocks over grafana-foundation-sdk: a Prometheus query, one function per kind of
panel (stat, timeseries, state timeline, table, bar gauge), field overrides, variables, and
Board, which lays rows and panels out on Grafana's 24-column grid.

Every function returns an SDK builder or model, so that a dashboard is typed from top to
bottom; nothing here knows about Kafka Connect (that is kconnect.py). The panel functions set
every option the kit's dashboards rely on explicitly rather than leaning on Grafana's defaults,
so that a dashboard looks the same whatever Grafana version fills in the rest.
"""

from grafana_foundation_sdk.builders import bargauge as bargauge_b
from grafana_foundation_sdk.builders import common as common_b
from grafana_foundation_sdk.builders import dashboard as dashboard_b
from grafana_foundation_sdk.builders import prometheus as prometheus_b
from grafana_foundation_sdk.builders import stat as stat_b
from grafana_foundation_sdk.builders import statetimeline as statetimeline_b
from grafana_foundation_sdk.builders import table as table_b
from grafana_foundation_sdk.builders import timeseries as timeseries_b
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import prometheus as pm

GRID_COLUMNS = 24
# Every panel, query and query variable reads the data source picked in the `datasource` variable.
DATASOURCE_VARIABLE = "datasource"


def datasource():
    return dm.DataSourceRef(type_val="prometheus", uid="${" + DATASOURCE_VARIABLE + "}")


# ----------------------------------------------------------------------------- queries

def query(expr, legend="", ref="A", instant=False, table=False):
    """A PromQL query in code mode. `table` asks for an instant query in table format (one row per
    series, labels as columns), `instant` for the latest value only; otherwise a range query."""
    q = (prometheus_b.Dataquery()
         .datasource(datasource())
         .editor_mode(pm.QueryEditorMode.CODE)
         .expr(expr)
         .ref_id(ref))
    if legend:
        q.legend_format(legend)
    if table:
        q.format(pm.PromQueryFormat.TABLE).instant()
    elif instant:
        q.instant()
    else:
        q.range()
    return q


def ref_ids(targets):
    return [t.build().ref_id for t in targets]


# ----------------------------------------------------------------------------- field options

def thresholds(*steps):
    """thresholds(("green", None), ("orange", 120), ("red", 300)): absolute steps, the first from -inf."""
    return (dashboard_b.ThresholdsConfig()
            .mode(dm.ThresholdsMode.ABSOLUTE)
            .steps([dm.Threshold(value=value, color=colour) for colour, value in steps]))


def value_mappings(*values):
    """value_mappings(("1", "UP", "green"), ("0", "DOWN", "red")): one value map, in this order."""
    return [dm.ValueMap(options={
        value: dm.ValueMappingResult(text=text, color=colour, index=i)
        for i, (value, text, colour) in enumerate(values)
    })]


def fixed_colour(colour):
    return dashboard_b.FieldColor().mode(dm.FieldColorModeId.FIXED).fixed_color(colour).build()


def override(matcher, value, *properties):
    """A field override: matcher "byName" or "byRegexp", then (property id, value) pairs."""
    return (dashboard_b.DashboardFieldConfigSourceOverrides()
            .matcher(dm.MatcherConfig(id_val=matcher, options=value))
            .properties([dm.DynamicConfigValue(id_val=pid, value=v) for pid, v in properties]))


def colour_override(matcher, value, colour):
    return override(matcher, value, ("color", fixed_colour(colour)))


def data_link(title, url):
    return dashboard_b.DashboardLink(title).url(url).build()


# ----------------------------------------------------------------------------- panels

def _panel(builder, title, description, targets, overrides):
    return (builder
            .title(title)
            .description(description)
            .datasource(datasource())
            .targets(list(targets))
            .overrides(list(overrides)))


def stat(title, description, targets, *, unit=None, mappings=None, steps=(("text", None),),
         text_mode=common.BigValueTextMode.VALUE_AND_NAME, color_mode=common.BigValueColorMode.BACKGROUND,
         decimals=None, overrides=()):
    """One big value per series (its last value), coloured by `steps` (see thresholds)."""
    p = (_panel(stat_b.Panel(), title, description, targets, overrides)
         .color_scheme(dashboard_b.FieldColor().mode(dm.FieldColorModeId.THRESHOLDS))
         .thresholds(thresholds(*steps))
         .color_mode(color_mode)
         .graph_mode(common.BigValueGraphMode.NONE)
         .justify_mode(common.BigValueJustifyMode.AUTO)
         .orientation(common.VizOrientation.AUTO)
         .reduce_options(common_b.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
         .text_mode(text_mode)
         .wide_layout(True)
         .show_percent_change(False))
    if unit:
        p.unit(unit)
    if mappings:
        p.mappings(mappings)
    if decimals is not None:
        p.decimals(decimals)
    return p


def timeseries(title, description, targets, *, unit=None, stack=False,
               draw=common.GraphDrawStyle.LINE, overrides=()):
    """Lines (or bars) from 0 up, stacked if asked, with a table legend on the right (last, max)."""
    p = (_panel(timeseries_b.Panel(), title, description, targets, overrides)
         .draw_style(draw)
         .line_width(1)
         .fill_opacity(20 if stack else 5)
         .show_points(common.VisibilityMode.NEVER)
         .span_nulls(False)
         .stacking(common_b.StackingConfig()
                   .mode(common.StackingMode.NORMAL if stack else common.StackingMode.NONE)
                   .group("A"))
         .axis_soft_min(0)
         .color_scheme(dashboard_b.FieldColor().mode(dm.FieldColorModeId.PALETTE_CLASSIC))
         .legend(common_b.VizLegendOptions()
                 .show_legend(True)
                 .display_mode(common.LegendDisplayMode.TABLE)
                 .placement(common.LegendPlacement.RIGHT)
                 .calcs(["lastNotNull", "max"]))
         .tooltip(common_b.VizTooltipOptions()
                  .mode(common.TooltipDisplayMode.MULTI)
                  .sort(common.SortOrder.DESCENDING)))
    if unit:
        p.unit(unit)
    return p


def state_timeline(title, description, targets, mappings, *, row_height=0.9):
    """One band per series, all on one page; `mappings` turn the values into named, coloured states."""
    p = (_panel(statetimeline_b.Panel(), title, description, targets, ())
            .color_scheme(dashboard_b.FieldColor().mode(dm.FieldColorModeId.THRESHOLDS))
            .thresholds(thresholds(("text", None)))
            .mappings(mappings)
            .fill_opacity(80)
            .line_width(0)
            .merge_values(True)
            .show_value(common.VisibilityMode.NEVER)
            .align_value(common.TimelineValueAlignment.LEFT)
            .row_height(row_height)
            .legend(common_b.VizLegendOptions()
                    .show_legend(True)
                    .display_mode(common.LegendDisplayMode.LIST)
                    .placement(common.LegendPlacement.BOTTOM))
            .tooltip(common_b.VizTooltipOptions()
                     .mode(common.TooltipDisplayMode.SINGLE)
                     .sort(common.SortOrder.NONE)))
    # The SDK's options default perPage to 20, which makes Grafana (11.2 and later) page the bands
    # 20 at a time: a FAILED connector past the 20th would hide on another page. Without perPage,
    # as in Grafana's own default, every band shows at once. The builder takes only numbers >= 1.
    p.build().options.per_page = None
    return p


# Labels every Prometheus series has but no table of the kit shows.
HIDDEN_COLUMNS = ("Time", "__name__", "job", "instance")


def table(title, description, targets, columns, *, rename=None, merge=False, sort_by=(), overrides=()):
    """Table queries shown as columns in the order of `columns` (label names, or "Value #<refId>"
    for a query's value). Values are hidden unless `rename` names them; `merge` joins the rows of
    several queries on their common labels first."""
    rename = rename or {}
    hidden = list(HIDDEN_COLUMNS) + [f"Value #{ref}" for ref in ref_ids(targets)] + ["Value"]
    transformations = []
    if merge:
        transformations.append(dm.DataTransformerConfig(id_val="merge", options={}))
    transformations.append(dm.DataTransformerConfig(id_val="organize", options={
        "excludeByName": {name: True for name in hidden if name not in rename},
        "indexByName": {name: i for i, name in enumerate(columns)},
        "renameByName": rename,
    }))
    p = (_panel(table_b.Panel(), title, description, targets, overrides)
         .transformations(transformations)
         .align(common.FieldTextAlignment.AUTO)
         .cell_options(common.TableAutoCellOptions())
         .filterable(True)
         .show_header(True)
         .cell_height(common.TableCellHeight.SM)
         .footer(common_b.TableFooterOptions().show(False).reducer(["sum"])))
    if sort_by:
        p.sort_by([common_b.TableSortByFieldState().display_name(name).desc(False) for name in sort_by])
    return p


def bargauge(title, description, targets, *, unit=None):
    """Horizontal bars from 0, one per series (its last value)."""
    p = (_panel(bargauge_b.Panel(), title, description, targets, ())
         .color_scheme(dashboard_b.FieldColor().mode(dm.FieldColorModeId.PALETTE_CLASSIC))
         .min(0)
         .display_mode(common.BarGaugeDisplayMode.BASIC)
         .orientation(common.VizOrientation.HORIZONTAL)
         .reduce_options(common_b.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
         .show_unfilled(True)
         .value_mode(common.BarGaugeValueMode.COLOR)
         .name_placement(common.BarGaugeNamePlacement.AUTO)
         .sizing(common.BarGaugeSizing.AUTO)
         .min_viz_height(16)
         .min_viz_width(8)
         .max_viz_height(300))
    if unit:
        p.unit(unit)
    return p


# ----------------------------------------------------------------------------- variables

def datasource_variable(label="Data source"):
    """The `datasource` variable every panel reads: any Prometheus data source, the default first."""
    return (dashboard_b.DatasourceVariable(DATASOURCE_VARIABLE)
            .label(label)
            .type("prometheus")
            .hide(dm.VariableHide.DONT_HIDE)
            .multi(False)
            .include_all(False)
            .regex(""))


def query_variable(name, label, promql, *, multi=True, include_all=True):
    """Values from a Prometheus variable query (label_values(...)), refreshed with the time range.
    With `include_all`, "All" is selected at first and stands for the regex .* rather than the
    alternation of every value (shorter queries on clusters with many connectors)."""
    v = (dashboard_b.QueryVariable(name)
         .label(label)
         .datasource(datasource())
         .query({"qryType": 1, "query": promql, "refId": "PrometheusVariableQueryEditor-VariableQuery"})
         .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
         .regex("")
         .sort(dm.VariableSort.ALPHABETICAL_ASC)
         .hide(dm.VariableHide.DONT_HIDE)
         .multi(multi)
         .include_all(include_all)
         .options([]))
    if include_all:
        v.current(dm.VariableOption(selected=True, text=["All"], value=["$__all"])).all_value(".*")
    return v


# ----------------------------------------------------------------------------- layout

class Board:
    """A dashboard being built: rows and panels flow left to right and wrap onto the next line
    when a panel does not fit in what is left of the 24 columns, so that adding or leaving out a
    panel never needs coordinates. Panel ids follow the order of addition, rows included."""

    def __init__(self, dashboard):
        self.dashboard = dashboard
        self._next_id = 1
        self._x = 0
        self._y = 0
        self._line_height = 0

    def _take_id(self):
        self._next_id += 1
        return self._next_id - 1

    def row(self, title):
        """A (never collapsed) row header starting a new line."""
        if self._x or self._line_height:
            self._y += self._line_height
        pos = dm.GridPos(h=1, w=GRID_COLUMNS, x=0, y=self._y)
        self.dashboard.with_row(dashboard_b.Row(title).id(self._take_id()).collapsed(False).grid_pos(pos))
        self._x, self._y, self._line_height = 0, self._y + 1, 0
        return self

    def add(self, panel, w, h):
        """Place `panel` (w columns wide, h units high) after the previous one."""
        if not 0 < w <= GRID_COLUMNS:
            raise ValueError(f"panel width {w}: must be 1..{GRID_COLUMNS}")
        if self._x + w > GRID_COLUMNS:
            self._x, self._y, self._line_height = 0, self._y + self._line_height, 0
        panel.id(self._take_id()).grid_pos(dm.GridPos(h=h, w=w, x=self._x, y=self._y))
        self.dashboard.with_panel(panel)
        self._x += w
        self._line_height = max(self._line_height, h)
        return self

    def build(self):
        return self.dashboard.build()
