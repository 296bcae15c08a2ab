"""The overview dashboard (kconnect-overview): every observed Connect cluster with its flavour,
reachable or not, connectors and tasks by state, everything not RUNNING with its worker and
exception, states over time, the workers and their health, plugin versions and topics per
connector, the sinks' consumer-group lag, and MSK Connect's capacity."""

from grafana_foundation_sdk.models import common

from . import panels, promql
from .kconnect import (CC, CONNECTOR_ON, TASK_ON, TASK_STATES, connect_cluster_variable, connector_link_override,
                       connector_variable, name_missing_worker, new_board, sink_lag, state_cell_override,
                       state_code_expr, state_code_mappings, state_colour_overrides, up_mappings, with_connector_exception,
                       with_flavour, with_task_exception)
from .panels import query

UID = "kconnect-overview"
CCC = f'{CC}, connector=~"$connector"'


def build():
    board = new_board(
        UID, "Kafka Connect / Overview",
        "Kafka Connect clusters observed by kconnect-exporter (Apache Connect, Confluent Cloud, MSK Connect): "
        "reachability, connectors and tasks by state, everything not RUNNING with its worker and exception, "
        "workers, plugin versions, topics, sink lag.",
        [panels.datasource_variable(), connect_cluster_variable(), connector_variable()])
    clusters(board)
    not_running(board)
    over_time(board)
    workers(board)
    plugins_and_topics(board)
    lag(board)
    msk_capacity(board)
    return board.build()


def clusters(board):
    board.row("Clusters")
    board.add(panels.stat(
        "Cluster observed",
        "kconnect_up: UP when the latest observation of the cluster succeeded (by any exporter observing it). While DOWN the "
        "cluster's connector and task states are not exported (see the exporter dashboard for the reason).",
        [query(f"max by (connect_cluster) (kconnect_up{{{CC}}})", "{{connect_cluster}}")],
        mappings=up_mappings()), 8, 5)
    board.add(panels.stat(
        "Connectors by state",
        "kconnect_connectors, summed over the selected clusters. Each flavour has its own states: Confluent Cloud adds "
        "PROVISIONING, DEGRADED, NONE and DELETED, MSK Connect CREATING, UPDATING and DELETING.",
        [query(f"sum by (state) (max by (connect_cluster, state) (kconnect_connectors{{{CC}}}))", "{{state}}")],
        color_mode=common.BigValueColorMode.VALUE, overrides=state_colour_overrides()), 8, 5)
    board.add(panels.stat(
        "Tasks by state",
        "kconnect_tasks, summed over the selected clusters. MSK Connect reports tasks only with the exporter's "
        "CloudWatch option, as RUNNING and FAILED counts.",
        [query(f"sum by (state) (max by (connect_cluster, state) (kconnect_tasks{{{CC}}}))", "{{state}}")],
        color_mode=common.BigValueColorMode.VALUE, overrides=state_colour_overrides()), 8, 5)
    board.add(panels.stat(
        "Time since last successful observation",
        "time() - kconnect_observation_last_success_timestamp_seconds. No value: never succeeded since the "
        "exporter started.",
        [query(f"min by (connect_cluster) (time() - kconnect_observation_last_success_timestamp_seconds{{{CC}}})",
               "{{connect_cluster}}")],
        unit="s", decimals=0, steps=(("green", None), ("orange", 120), ("red", 300))), 8, 6)
    board.add(panels.table(
        "Clusters",
        "kconnect_cluster_info: the flavour (apache: Kafka Connect's REST API; confluent_cloud: Confluent Cloud's "
        "managed connectors; msk: an MSK Connect region), and for Apache Connect the version, commit and Kafka "
        "cluster id from GET / of the worker that answered; the number of workers that run connectors or tasks "
        "(kconnect_worker_tasks; the managed services show none).",
        [
            query("max by (connect_cluster, flavour, name, version, commit, kafka_cluster_id, group_id, "
                  f"offset_storage_topic, observation_version) (kconnect_cluster_info{{{CC}}})", ref="A", table=True),
            query(f"count by (connect_cluster) (max by (connect_cluster, worker_id) (kconnect_worker_tasks{{{CC}}}))",
                  ref="B", table=True),
        ],
        ["connect_cluster", "flavour", "name", "version", "commit", "kafka_cluster_id", "group_id",
         "offset_storage_topic", "observation_version", "Value #B"],
        rename={"Value #B": "workers", "observation_version": "observation"}, merge=True), 16, 6)


def not_running(board):
    board.row("Not RUNNING")
    connectors = promql.group_left(f'(kconnect_connector_state{{{CCC}, state!="RUNNING"}} == 1)',
                                   CONNECTOR_ON, "type, class, worker_id, connector_id", "kconnect_connector_info")
    board.add(panels.table(
        "Connectors not RUNNING",
        "Every connector whose state is not RUNNING, with the worker that reports it and its id on Confluent Cloud "
        "(lcc-...) or MSK Connect (from its ARN) (kconnect_connector_info) and, when the service reports a trace or "
        "state description, its exception class or code (kconnect_connector_failure_info).",
        [query(promql.max_by("connect_cluster, connector, state, type, class, worker_id, connector_id, exception",
                             with_connector_exception(promql.block(connectors))), table=True)],
        ["connect_cluster", "connector", "state", "worker_id", "exception", "type", "class", "connector_id"],
        overrides=[state_cell_override(), connector_link_override()], sort_by=["state"]), 24, 8)
    tasks = promql.group_left(f'(kconnect_task_state{{{CCC}, state!="RUNNING"}} == 1)',
                              TASK_ON, "worker_id", "kconnect_task_info")
    board.add(panels.table(
        "Tasks not RUNNING",
        "Every task whose state is not RUNNING (whatever its connector's state), with its worker "
        "(kconnect_task_info) and, when Connect reports a trace, its exception class (kconnect_task_failure_info). "
        "MSK Connect reports no task states.",
        [query(promql.max_by("connect_cluster, connector, task, state, worker_id, exception",
                             with_task_exception(promql.block(tasks))), table=True)],
        ["connect_cluster", "connector", "task", "state", "worker_id", "exception"],
        overrides=[state_cell_override(), connector_link_override()], sort_by=["state"]), 24, 8)


def over_time(board):
    board.row("Over time")
    board.add(panels.timeseries(
        "Connectors by state", "kconnect_connectors over time, stacked.",
        [query(f"sum by (state) (max by (connect_cluster, state) (kconnect_connectors{{{CC}}}))", "{{state}}")],
        stack=True, overrides=state_colour_overrides()), 12, 8)
    board.add(panels.timeseries(
        "Tasks by state", "kconnect_tasks over time, stacked.",
        [query(f"sum by (state) (max by (connect_cluster, state) (kconnect_tasks{{{CC}}}))", "{{state}}")],
        stack=True, overrides=state_colour_overrides()), 12, 8)
    board.add(panels.state_timeline(
        "Connector states",
        "The state of each connector over time (kconnect_connector_state), in its flavour's vocabulary. Gaps: the "
        "cluster was not observed.",
        [query(state_code_expr("kconnect_connector_state", CCC, "connect_cluster, connector"),
               "{{connect_cluster}} / {{connector}}")],
        state_code_mappings()), 24, 10)
    board.add(panels.state_timeline(
        "Task states",
        "The state of each task over time (kconnect_task_state). Gaps: the cluster was not observed. MSK Connect "
        "reports no task states.",
        [query(state_code_expr("kconnect_task_state", CCC, "connect_cluster, connector, task", TASK_STATES),
               "{{connect_cluster}} / {{connector}} / {{task}}")],
        state_code_mappings(TASK_STATES)), 24, 12)


def workers(board):
    board.row("Workers")
    board.add(panels.table(
        "Workers",
        "Connectors and tasks each worker runs (kconnect_worker_connectors, kconnect_worker_tasks), with the "
        "cluster's flavour. Confluent Cloud and MSK Connect run their workers themselves and name none: their "
        "clusters show one row saying so (kconnect_cluster_info).",
        [
            query(with_flavour(f"max by (connect_cluster, worker_id) (kconnect_worker_connectors{{{CC}}})"),
                  ref="A", table=True),
            query(with_flavour(f"max by (connect_cluster, worker_id) (kconnect_worker_tasks{{{CC}}})"),
                  ref="B", table=True),
            query(name_missing_worker(
                f'max by (connect_cluster, flavour) (kconnect_cluster_info{{{CC}, flavour!="apache"}})'),
                ref="C", table=True),
        ],
        ["connect_cluster", "flavour", "worker_id", "Value #A", "Value #B"],
        rename={"Value #A": "connectors", "Value #B": "tasks"}, merge=True, sort_by=["connect_cluster"]), 16, 8)
    board.add(panels.stat(
        "Worker health",
        "kconnect_worker_health: GET /health of the worker behind each exporter's URL for the cluster (Kafka 3.9+, "
        "KIP-1017). UNHEALTHY: the worker is starting or its herder cannot answer. With one exporter sidecar per "
        "worker, each instance is one worker. No value: Connect older than 3.9, or a managed service.",
        [query(f"kconnect_worker_health{{{CC}}}", "{{connect_cluster}} ({{instance}})")],
        mappings=panels.value_mappings(("1", "HEALTHY", "green"), ("0", "UNHEALTHY", "red"))), 8, 8)


def plugins_and_topics(board):
    board.row("Plugins and topics")
    versions = promql.max_by("connect_cluster, connector, class, version, connect_version",
                             f"kconnect_connector_info{{{CCC}}}")
    versions = promql.label_replace(promql.label_replace(
        f"count by (class, version, connect_version, connect_cluster) {promql.block(versions)}",
        "version", "not reported", "version", ""), "class", "not reported", "class", "")
    board.add(panels.table(
        "Plugin versions per connector class",
        "How many connectors of each class run each plugin version (kconnect_connector_info{version}, reported by "
        "Kafka 4.1+, KIP-891), per cluster; for MSK Connect, which reports no class, its Kafka Connect version "
        "(connect_version). Two versions of one class: a rolling upgrade, or workers with different plugins.",
        [query(versions, table=True)],
        ["class", "version", "connect_version", "connect_cluster", "Value"],
        rename={"Value": "connectors", "connect_version": "Kafka Connect (MSK)"}, sort_by=["class"]), 12, 8)
    board.add(panels.table(
        "Topics per connector",
        "The topics each connector reads or writes (kconnect_connector_topic_info; Connect 2.5+, KIP-558, when the "
        "exporter's topic option is on for the cluster).",
        [query(f"max by (connect_cluster, connector, topic) (kconnect_connector_topic_info{{{CCC}}})", table=True)],
        ["connect_cluster", "connector", "topic"],
        overrides=[connector_link_override()], sort_by=["connector"]), 12, 8)


def lag(board):
    board.row("Sink lag")
    board.add(panels.timeseries(
        "Consumer-group lag per sink connector",
        "The lag of each sink connector's consumer group (kconnect_connector_consumer_group_info), from "
        "kafka_exporter's kafka_consumergroup_lag summed over the group's partitions. Empty without kafka_exporter "
        "in this Prometheus (docs/dashboards-and-alerts.md, \"Sink lag\", also for KMinion).",
        [query(promql.max_by("connect_cluster, connector", sink_lag(CCC)), "{{connect_cluster}} / {{connector}}")],
        unit="short"), 16, 8)
    board.add(panels.table(
        "Sink lag now",
        "Each sink connector's consumer group, its lag now and how fast the lag grows (deriv over 10 minutes of "
        "kafka_consumergroup_lag, messages per second; the KafkaConnectSinkLagGrowing alert fires when it stays "
        "positive for 20 minutes).",
        [
            query(sink_lag(CCC), ref="A", table=True),
            query(sink_lag(CCC, growth_over="10m"), ref="B", table=True),
        ],
        ["connect_cluster", "connector", "consumergroup", "Value #A", "Value #B"],
        rename={"Value #A": "lag", "Value #B": "growth /s"}, merge=True,
        overrides=[connector_link_override()], sort_by=["connector"]), 8, 8)


def msk_capacity(board):
    board.row("MSK Connect capacity")
    capacity = [
        ("A", "kconnect_connector_workers_min", "workers min"),
        ("B", "kconnect_connector_workers_max", "workers max"),
        ("C", "kconnect_connector_worker_mcu", "MCU per worker"),
    ]
    targets = [query(f"max by (connect_cluster, connector) ({metric}{{{CCC}}})", ref=ref, table=True)
               for ref, metric, _ in capacity]
    targets.append(query(f"max by (connect_cluster, connector) (kconnect_connector_workers_max{{{CCC}}})\n"
                         f"* on(connect_cluster, connector)\n"
                         f"max by (connect_cluster, connector) (kconnect_connector_worker_mcu{{{CCC}}})",
                         ref="D", table=True))
    board.add(panels.table(
        "MSK Connect capacity",
        "Each MSK Connect connector's capacity: its provisioned worker count (min = max) or its autoscaling range "
        "(kconnect_connector_workers_min, kconnect_connector_workers_max), the MSK Connect units of each worker "
        "(kconnect_connector_worker_mcu; 1 MCU = 1 vCPU and 4 GiB), and the most MCUs it may use, which MSK "
        "Connect bills by the hour.",
        targets,
        ["connect_cluster", "connector", "Value #A", "Value #B", "Value #C", "Value #D"],
        rename={**{f"Value #{ref}": name for ref, _, name in capacity}, "Value #D": "MCU max"}, merge=True,
        overrides=[connector_link_override()], sort_by=["connector"]), 24, 6)
