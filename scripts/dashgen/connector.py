"""The connector dashboard (kconnect-connector): one connector, its state and its tasks' states
over time, tasks per worker, tasks vs tasks.max, every task with its worker, plugin version and
exception, its topics and, for a sink, its consumer group's lag per topic."""

from grafana_foundation_sdk.models import common

from . import panels, promql
from .kconnect import (CC, TASK_ON, TASK_STATES, connect_cluster_variable, connector_variable, name_missing_worker,
                       new_board, sink_lag_by_topic, state_cell_override, state_code_expr, state_code_mappings,
                       with_connector_exception, with_task_exception)
from .panels import query

UID = "kconnect-connector"
SEL = f'{CC}, connector="$connector"'
# RUNNING tasks; 0 when the connector has tasks and none runs (with task states reduced to the
# current one, the exporter's --metrics.task-states=current, no RUNNING series is left to sum then).
RUNNING_TASKS = (f'sum by (connect_cluster) (max by (connect_cluster, task) (kconnect_task_state{{{SEL}, state="RUNNING"}}))'
                 f'\nor\n0 * count by (connect_cluster) (max by (connect_cluster, task) (kconnect_task_state{{{SEL}}}))')
TASKS = f"max by (connect_cluster) (kconnect_connector_tasks{{{SEL}}})"
TASKS_MAX = f"max by (connect_cluster) (kconnect_connector_tasks_max{{{SEL}}})"
FAILED_TASKS = f"max by (connect_cluster) (kconnect_connector_failed_tasks{{{SEL}}})"


def build():
    board = new_board(
        UID, "Kafka Connect / Connector",
        "One Kafka Connect connector: its state and its tasks' states over time, tasks per worker, tasks vs "
        "tasks.max, plugin versions, topics and, for a sink, its consumer-group lag.",
        [panels.datasource_variable(), connect_cluster_variable(), connector_variable(multi=False)])
    connector(board)
    over_time(board)
    tasks(board)
    topics_and_lag(board)
    return board.build()


def connector(board):
    board.row("Connector")
    board.add(panels.stat(
        "State", "kconnect_connector_state: the connector's current state, in its flavour's vocabulary (Confluent "
        "Cloud and MSK Connect have states of their own).",
        [query(state_code_expr("kconnect_connector_state", SEL, "connect_cluster"), "{{connect_cluster}}")],
        mappings=state_code_mappings()), 6, 5)
    board.add(panels.stat(
        "Tasks",
        "RUNNING tasks (kconnect_task_state), tasks the connector has (kconnect_connector_tasks), FAILED tasks "
        "(kconnect_connector_failed_tasks) and its tasks.max setting (kconnect_connector_tasks_max, absent if "
        "unset). MSK Connect has no task states: with the exporter's CloudWatch option, tasks and failed only.",
        [
            query(RUNNING_TASKS, "running", "A"),
            query(TASKS, "tasks", "B"),
            query(TASKS_MAX, "tasks.max", "C"),
            query(FAILED_TASKS, "failed", "D"),
        ], color_mode=common.BigValueColorMode.VALUE), 6, 5)
    board.add(panels.table(
        "Connector",
        "kconnect_connector_info: type, class, the worker running the connector, the plugin version (Kafka 4.1+), "
        "the connector's id on Confluent Cloud (lcc-...) or MSK Connect (from its ARN) and MSK Connect's Kafka "
        "Connect version; and the exception class of its trace, or MSK Connect's state description code, when the "
        "service reports one (kconnect_connector_failure_info).",
        [query(promql.max_by("connect_cluster, type, class, version, worker_id, connector_id, connect_version, "
                             "exception",
                             with_connector_exception(name_missing_worker(f"kconnect_connector_info{{{SEL}}}"))),
               table=True)],
        ["connect_cluster", "type", "class", "version", "worker_id", "exception", "connector_id", "connect_version"],
        rename={"connect_version": "Kafka Connect (MSK)"}), 12, 5)


def over_time(board):
    board.row("Over time")
    board.add(panels.state_timeline(
        "Connector state", "The connector's state over time. Gaps: the cluster was not observed.",
        [query(state_code_expr("kconnect_connector_state", SEL, "connect_cluster"), "{{connect_cluster}}")],
        state_code_mappings()), 24, 4)
    board.add(panels.state_timeline(
        "Task states", "Each task's state over time. Gaps: the cluster was not observed.",
        [query(state_code_expr("kconnect_task_state", SEL, "connect_cluster, task", TASK_STATES),
               "{{connect_cluster}} / task {{task}}")],
        state_code_mappings(TASK_STATES)), 24, 9)
    board.add(panels.timeseries(
        "Tasks vs tasks.max",
        "Tasks the connector has (kconnect_connector_tasks), its tasks.max (kconnect_connector_tasks_max) and "
        "how many tasks are RUNNING and FAILED. A connector may create fewer tasks than tasks.max.",
        [
            query(TASKS, "{{connect_cluster}} tasks", "A"),
            query(TASKS_MAX, "{{connect_cluster}} tasks.max", "B"),
            query(RUNNING_TASKS, "{{connect_cluster}} running", "C"),
            query(FAILED_TASKS, "{{connect_cluster}} failed", "D"),
        ]), 12, 8)
    board.add(panels.timeseries(
        "Tasks per worker",
        "How many of the connector's tasks each worker holds (kconnect_task_info), stacked. Confluent Cloud names no "
        "worker (\"none reported\"); MSK Connect has no task series.",
        [query(name_missing_worker(
            f"count by (connect_cluster, worker_id) (max by (connect_cluster, task, worker_id) (kconnect_task_info{{{SEL}}}))"),
            "{{worker_id}}")],
        stack=True, draw=common.GraphDrawStyle.BARS), 12, 8)


def tasks(board):
    board.row("Tasks")
    states = promql.group_left(f"(kconnect_task_state{{{SEL}}} == 1)", TASK_ON, "worker_id, version",
                               "kconnect_task_info")
    board.add(panels.table(
        "Tasks",
        "Every task of the connector with its state, worker and plugin version (kconnect_task_info; the version from "
        "Kafka 4.1 on: during an upgrade tasks may run another version than their connector) and, when Connect "
        "reports a trace, its exception class (kconnect_task_failure_info).",
        [query(promql.max_by("connect_cluster, task, state, worker_id, version, exception",
                             with_task_exception(name_missing_worker(promql.block(states)))), table=True)],
        ["connect_cluster", "task", "state", "worker_id", "version", "exception"],
        overrides=[state_cell_override()], sort_by=["task"]), 16, 8)
    board.add(panels.bargauge(
        "Tasks per worker (now)", "How many of the connector's tasks each worker holds now.",
        [query(name_missing_worker(
            f"count by (worker_id) (max by (connect_cluster, task, worker_id) (kconnect_task_info{{{SEL}}}))"),
            "{{worker_id}}", instant=True)]), 8, 8)


def topics_and_lag(board):
    board.row("Topics and lag")
    board.add(panels.table(
        "Topics",
        "The topics the connector reads or writes (kconnect_connector_topic_info; Connect 2.5+, KIP-558, when the "
        "exporter's topic option is on for the cluster).",
        [query(f"max by (connect_cluster, topic) (kconnect_connector_topic_info{{{SEL}}})", table=True)],
        ["connect_cluster", "topic"], sort_by=["topic"]), 8, 8)
    board.add(panels.timeseries(
        "Consumer-group lag by topic",
        "A sink's consumer-group lag per topic, from kafka_exporter's kafka_consumergroup_lag joined through "
        "kconnect_connector_consumer_group_info. Empty for a source, or without kafka_exporter in this Prometheus.",
        [query(promql.max_by("connect_cluster, consumergroup, topic", sink_lag_by_topic(SEL)),
               "{{connect_cluster}} {{consumergroup}} / {{topic}}")],
        unit="short"), 16, 8)
