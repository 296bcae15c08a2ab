"""The overview dashboard (kconnect-overview): every observed Connect cluster, reachable or not,
connectors and tasks by state, everything not RUNNING with its worker and exception, states
over time, and the workers."""

from grafana_foundation_sdk.models import common

from . import panels, promql
from .kconnect import (CC, CONNECTOR_ON, TASK_ON, connect_cluster_variable, connector_link_override,
                       connector_variable, new_board, state_cell_override, state_code_expr,
                       state_code_mappings, state_colour_overrides, up_mappings, with_connector_exception,
                       with_task_exception)
from .panels import query

UID = "kconnect-overview"
CCC = f'{CC}, connector=~"$connector"'


def build():
    board = new_board(
        UID, "Kafka Connect / Overview",
        "Kafka Connect clusters observed by kconnect-exporter: reachability, connectors and tasks by state, "
        "everything not RUNNING with its worker and exception.",
        [panels.datasource_variable(), connect_cluster_variable(), connector_variable()])
    clusters(board)
    not_running(board)
    over_time(board)
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
        "kconnect_connectors, summed over the selected clusters.",
        [query(f"sum by (state) (max by (connect_cluster, state) (kconnect_connectors{{{CC}}}))", "{{state}}")],
        color_mode=common.BigValueColorMode.VALUE, overrides=state_colour_overrides()), 8, 5)
    board.add(panels.stat(
        "Tasks by state",
        "kconnect_tasks, summed over the selected clusters.",
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
        "kconnect_cluster_info (version, commit and Kafka cluster id from GET / of the worker that answered) and "
        "the number of workers that run connectors or tasks (kconnect_worker_tasks).",
        [
            query("max by (connect_cluster, name, version, commit, kafka_cluster_id, group_id, "
                  f"offset_storage_topic, observation_version) (kconnect_cluster_info{{{CC}}})", ref="A", table=True),
            query(f"count by (connect_cluster) (max by (connect_cluster, worker_id) (kconnect_worker_tasks{{{CC}}}))",
                  ref="B", table=True),
        ],
        ["connect_cluster", "name", "version", "commit", "kafka_cluster_id", "group_id",
         "offset_storage_topic", "observation_version", "Value #B"],
        rename={"Value #B": "workers", "observation_version": "observation"}, merge=True), 16, 6)


def not_running(board):
    board.row("Not RUNNING")
    connectors = promql.group_left(f'(kconnect_connector_state{{{CCC}, state!="RUNNING"}} == 1)',
                                   CONNECTOR_ON, "type, class, worker_id", "kconnect_connector_info")
    board.add(panels.table(
        "Connectors not RUNNING",
        "Every connector whose state is not RUNNING, with the worker that reports it (kconnect_connector_info) "
        "and, when Connect reports a trace, its exception class (kconnect_connector_failure_info).",
        [query(promql.max_by("connect_cluster, connector, state, type, class, worker_id, exception",
                             with_connector_exception(promql.block(connectors))), table=True)],
        ["connect_cluster", "connector", "state", "worker_id", "exception", "type", "class"],
        overrides=[state_cell_override(), connector_link_override()], sort_by=["state"]), 24, 8)
    tasks = promql.group_left(f'(kconnect_task_state{{{CCC}, state!="RUNNING"}} == 1)',
                              TASK_ON, "worker_id", "kconnect_task_info")
    board.add(panels.table(
        "Tasks not RUNNING",
        "Every task whose state is not RUNNING (whatever its connector's state), with its worker "
        "(kconnect_task_info) and, when Connect reports a trace, its exception class (kconnect_task_failure_info).",
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
        "The state of each connector over time (kconnect_connector_state). Gaps: the cluster was not observed.",
        [query(state_code_expr("kconnect_connector_state", CCC, "connect_cluster, connector"),
               "{{connect_cluster}} / {{connector}}")],
        state_code_mappings()), 24, 10)
    board.add(panels.state_timeline(
        "Task states",
        "The state of each task over time (kconnect_task_state). Gaps: the cluster was not observed.",
        [query(state_code_expr("kconnect_task_state", CCC, "connect_cluster, connector, task"),
               "{{connect_cluster}} / {{connector}} / {{task}}")],
        state_code_mappings()), 24, 12)
    board.add(panels.table(
        "Workers",
        "Connectors and tasks each worker runs (kconnect_worker_connectors, kconnect_worker_tasks).",
        [
            query(f"max by (connect_cluster, worker_id) (kconnect_worker_connectors{{{CC}}})", ref="A", table=True),
            query(f"max by (connect_cluster, worker_id) (kconnect_worker_tasks{{{CC}}})", ref="B", table=True),
        ],
        ["connect_cluster", "worker_id", "Value #A", "Value #B"],
        rename={"Value #A": "connectors", "Value #B": "tasks"}, merge=True), 24, 8)
