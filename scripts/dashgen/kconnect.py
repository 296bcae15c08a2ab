"""What the kit's dashboards share: selectors of the template variables, the connector and task
states of every flavour of Connect with their codes and colours, the joins that add worker,
exception and flavour labels, the sink-lag join with kafka_exporter's consumer-group lag, the
variables, and the dashboard frame (tags, links between the dashboards, time, refresh).

Metric and label names here must be those of the exporter's contract (scripts/kit/contract.py).
"""

from grafana_foundation_sdk.builders import dashboard as dashboard_b
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm

from . import panels, promql

# Selectors of the template variables.
CC = 'connect_cluster=~"$connect_cluster"'
EXP = 'job=~"$job", instance=~"$instance"'
TAGS = ["kafka-connect", "kconnect-exporter"]

# The labels that identify one exporter's series of a connector, and of a task.
CONNECTOR_ON = "job, instance, connect_cluster, connector"
TASK_ON = CONNECTOR_ON + ", task"

# State codes for the state-timeline panels: a state set becomes one number per connector/task.
# Tasks have Apache Connect's states on every flavour; connectors also have those of Confluent Cloud
# (NONE, PROVISIONING, DEGRADED, DELETED) and MSK Connect (CREATING, UPDATING, DELETING).
TASK_STATES = [  # (state, code, colour)
    ("RUNNING", 1, "green"),
    ("PAUSED", 2, "blue"),
    ("STOPPED", 3, "text"),
    ("RESTARTING", 4, "yellow"),
    ("UNASSIGNED", 5, "orange"),
    ("FAILED", 6, "red"),
]
STATES = TASK_STATES + [
    ("DEGRADED", 7, "dark-orange"),
    ("PROVISIONING", 8, "light-blue"),
    ("CREATING", 9, "light-blue"),
    ("UPDATING", 10, "light-yellow"),
    ("DELETING", 11, "text"),
    ("NONE", 12, "text"),
    ("DELETED", 13, "text"),
]
OTHER_STATE = ("0", "other", "purple")
FLAVOURS = {"apache": "Apache Connect", "confluent_cloud": "Confluent Cloud", "msk": "MSK Connect"}


def state_code_expr(metric, selector, by, states=STATES):
    """max by (<by>) (metric{state="RUNNING"} * 1 or metric{state="PAUSED"} * 2 or ... or metric * 0).

    Exactly one series of a state set is 1, so the max is the code of the current state
    (0 for a state Connect reported that is none of `states`). With states reduced to the current
    one (the exporter's --metrics.task-states=current, --metrics.connector-states=current) only that
    series exists: the max is its code all the same, and the last term gives a state none of
    `states` its 0 (in a state set it only adds zeros). `max by` also merges the copies that several exporters (sidecars) report."""
    parts = [f'{metric}{{{selector}, state="{state}"}} * {code}' for state, code, _ in states]
    parts.append(f"{metric}{{{selector}}} * 0")
    inner = "\n  or ".join(parts)
    return f"max by ({by}) (\n    {inner}\n)"


def state_code_mappings(states=STATES):
    """Codes of state_code_expr back to state names and colours."""
    return panels.value_mappings(*[(str(code), state, colour) for state, code, colour in states], OTHER_STATE)


def up_mappings():
    return panels.value_mappings(("1", "UP", "green"), ("0", "DOWN", "red"))


def state_colour_overrides():
    """Colour the series named after a state (legend {{state}}) the way the state timelines do."""
    return [panels.colour_override("byName", state, colour) for state, _, colour in STATES]


def state_cell_override(field="state"):
    """Colour the state names in a table column the way the state timelines do."""
    mappings = panels.value_mappings(*[(state, state, colour) for state, _, colour in STATES])
    return panels.override("byName", field,
                           ("mappings", mappings),
                           ("custom.cellOptions", common.TableColorTextCellOptions()))


def connector_link_override(field="connector"):
    """Connector names in a table open the connector dashboard, keeping time range and data source."""
    return panels.override("byName", field, ("links", [panels.data_link(
        "Connector dashboard",
        "/d/kconnect-connector/kafka-connect-connector?${datasource:queryparam}"
        "&var-connect_cluster=${__data.fields.connect_cluster}&var-connector=${__value.raw}&${__url_time_range}",
    )]))


def with_connector_exception(expr):
    """expr with the `exception` label of kconnect_connector_failure_info ("" without a trace)."""
    return promql.with_optional_label(expr, CONNECTOR_ON, "exception",
                                      "kconnect_connector_failure_info", "kconnect_connector_info")


def with_task_exception(expr):
    """expr with the `exception` label of kconnect_task_failure_info ("" without a trace)."""
    return promql.with_optional_label(expr, TASK_ON, "exception",
                                      "kconnect_task_failure_info", "kconnect_task_info")


def with_flavour(expr):
    """expr with the `flavour` of its cluster (kconnect_cluster_info)."""
    return promql.group_left(expr, "connect_cluster", "flavour",
                             f"max by (connect_cluster, flavour) (kconnect_cluster_info{{{CC}}})")


# Confluent Cloud and MSK Connect name no worker: their worker_id is empty. Tables and legends say so.
NO_WORKER = "none reported (managed service)"


def name_missing_worker(expr):
    """expr with worker_id NO_WORKER where it is empty."""
    return promql.label_replace(expr, "worker_id", NO_WORKER, "worker_id", "")


# ----------------------------------------------------------------------------- sink lag

def lag_partitions(growth_over=None):
    """kafka_exporter's consumer-group lag per partition, each partition once (two lag exporters
    watching one Kafka cluster report the same partitions); with growth_over, its growth per second
    over that range (deriv). Every lag query of the dashboards reads the lag through this function:
    to read KMinion's lag instead, change it here (docs/dashboards-and-alerts.md, "Sink lag")."""
    lag = f"deriv(kafka_consumergroup_lag[{growth_over}])" if growth_over else "kafka_consumergroup_lag"
    return f"max by (consumergroup, topic, partition) ({lag})"


def consumer_groups(selector):
    """The sink connectors' consumer groups, one series per connector and group."""
    return f"max by (connect_cluster, connector, consumergroup) (kconnect_connector_consumer_group_info{{{selector}}})"


def sink_lag(selector, growth_over=None):
    """The lag (or its growth per second) of each selected sink connector's consumer group. The info
    metric is the left-hand side, so that a group name two Connect clusters share never makes the
    join fail."""
    return promql.group_left(consumer_groups(selector), "consumergroup", "",
                             f"sum by (consumergroup) ({lag_partitions(growth_over)})")


def sink_lag_by_topic(selector):
    """The lag of each selected sink connector's consumer group per topic (a group shared by two
    Connect clusters is shown under one of them)."""
    return promql.group_left(f"sum by (consumergroup, topic) ({lag_partitions()})", "consumergroup",
                             "connect_cluster, connector",
                             f"topk by (consumergroup) (1, {consumer_groups(selector)})")


# ----------------------------------------------------------------------------- variables

def connect_cluster_variable():
    return panels.query_variable("connect_cluster", "Connect cluster", "label_values(kconnect_up, connect_cluster)")


def connector_variable(multi=True):
    """The connectors of the selected clusters; with multi, several or All."""
    return panels.query_variable(
        "connector", "Connector", 'label_values(kconnect_connector_state{connect_cluster=~"$connect_cluster"}, connector)',
        multi=multi, include_all=multi)


# ----------------------------------------------------------------------------- dashboard

def new_board(uid, title, description, variables):
    """A kit dashboard: shared crosshair, last 6 hours refreshed every 30s, the built-in
    annotations, and a "Kafka Connect" menu of the kit's dashboards keeping time and variables."""
    d = (dashboard_b.Dashboard(title)
         .uid(uid)
         .description(description)
         .tags(TAGS)
         .editable()
         .tooltip(dm.DashboardCursorSync.CROSSHAIR)
         .time("now-6h", "now")
         .timezone("")  # the viewer's own preference, rather than the SDK's "browser"
         .week_start("")
         .fiscal_year_start_month(0)
         .refresh("30s")
         .version(1)
         .annotation(dashboard_b.AnnotationQuery()
                     .name("Annotations & Alerts")
                     .datasource(dm.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
                     .built_in(1)
                     .type("dashboard")
                     .enable(True)
                     .hide(True)
                     .icon_color("rgba(0, 211, 255, 1)"))
         .link(dashboard_b.DashboardLink("Kafka Connect")
               .type(dm.DashboardLinkType.DASHBOARDS)
               .tags(["kconnect-exporter"])
               .as_dropdown(True)
               .include_vars(True)
               .keep_time(True)
               .icon("external link")
               .target_blank(False)
               .tooltip("")
               .url(""))
         .variables(variables))
    return panels.Board(d)
