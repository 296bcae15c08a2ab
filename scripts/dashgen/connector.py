"""The connector dashboard (kconnect-connector): one connector, its state and its tasks' states
over time, tasks per worker, tasks vs tasks.max, and every task with its worker and exception."""

from grafana_foundation_sdk.models import common

from . import panels, promql
from .kconnect import (CC, TASK_ON, connect_cluster_variable, connector_variable, new_board,
                       state_cell_override, state_code_expr, state_code_mappings, with_connector_exception,
                       with_task_exception)
from .panels import query

UID = "kconnect-connector"
SEL = f'{CC}, connector="$connector"'
RUNNING_TASKS = f'sum by (connect_cluster) (max by (connect_cluster, task) (kconnect_task_state{{{SEL}, state="RUNNING"}}))'
TASKS = f"max by (connect_cluster) (kconnect_connector_tasks{{{SEL}}})"
TASKS_MAX = f"max by (connect_cluster) (kconnect_connector_tasks_max{{{SEL}}})"


def build():
    board = new_board(
        UID, "Kafka Connect / Connector",
        "One Kafka Connect connector: its state and its tasks' states over time, tasks per worker, tasks vs "
        "tasks.max.",
        [panels.datasource_variable(), connect_cluster_variable(), connector_variable(multi=False)])
    connector(board)
    over_time(board)
    tasks(board)
    return board.build()


def connector(board):
    board.row("Connector")
    board.add(panels.stat(
        "State", "kconnect_connector_state: the connector's current state.",
        [query(state_code_expr("kconnect_connector_state", SEL, "connect_cluster"), "{{connect_cluster}}")],
        mappings=state_code_mappings()), 6, 5)
    board.add(panels.stat(
        "Tasks",
        "RUNNING tasks (kconnect_task_state), tasks the connector has (kconnect_connector_tasks) and its "
        "tasks.max setting (kconnect_connector_tasks_max, absent if unset).",
        [
            query(RUNNING_TASKS, "running", "A"),
            query(TASKS, "tasks", "B"),
            query(TASKS_MAX, "tasks.max", "C"),
        ], color_mode=common.BigValueColorMode.VALUE), 6, 5)
    board.add(panels.table(
        "Connector",
        "kconnect_connector_info (type, class, worker running the connector) and the exception class of its "
        "trace when Connect reports one (kconnect_connector_failure_info).",
        [query(promql.max_by("connect_cluster, type, class, worker_id, exception",
                             with_connector_exception(f"kconnect_connector_info{{{SEL}}}")), table=True)],
        ["connect_cluster", "type", "class", "worker_id", "exception"]), 12, 5)


def over_time(board):
    board.row("Over time")
    board.add(panels.state_timeline(
        "Connector state", "The connector's state over time. Gaps: the cluster was not observed.",
        [query(state_code_expr("kconnect_connector_state", SEL, "connect_cluster"), "{{connect_cluster}}")],
        state_code_mappings()), 24, 4)
    board.add(panels.state_timeline(
        "Task states", "Each task's state over time. Gaps: the cluster was not observed.",
        [query(state_code_expr("kconnect_task_state", SEL, "connect_cluster, task"),
               "{{connect_cluster}} / task {{task}}")],
        state_code_mappings()), 24, 9)
    board.add(panels.timeseries(
        "Tasks vs tasks.max",
        "Tasks the connector has (kconnect_connector_tasks), its tasks.max (kconnect_connector_tasks_max) and "
        "how many tasks are RUNNING. A connector may create fewer tasks than tasks.max.",
        [
            query(TASKS, "{{connect_cluster}} tasks", "A"),
            query(TASKS_MAX, "{{connect_cluster}} tasks.max", "B"),
            query(RUNNING_TASKS, "{{connect_cluster}} running", "C"),
        ]), 12, 8)
    board.add(panels.timeseries(
        "Tasks per worker", "How many of the connector's tasks each worker holds (kconnect_task_info), stacked.",
        [query(f"count by (connect_cluster, worker_id) (max by (connect_cluster, task, worker_id) (kconnect_task_info{{{SEL}}}))",
               "{{worker_id}}")],
        stack=True, draw=common.GraphDrawStyle.BARS), 12, 8)


def tasks(board):
    board.row("Tasks")
    states = promql.group_left(f"(kconnect_task_state{{{SEL}}} == 1)", TASK_ON, "worker_id", "kconnect_task_info")
    board.add(panels.table(
        "Tasks",
        "Every task of the connector with its state, worker (kconnect_task_info) and, when Connect reports a "
        "trace, its exception class (kconnect_task_failure_info).",
        [query(promql.max_by("connect_cluster, task, state, worker_id, exception",
                             with_task_exception(promql.block(states))), table=True)],
        ["connect_cluster", "task", "state", "worker_id", "exception"],
        overrides=[state_cell_override()], sort_by=["task"]), 16, 8)
    board.add(panels.bargauge(
        "Tasks per worker (now)", "How many of the connector's tasks each worker holds now.",
        [query(f"count by (worker_id) (max by (connect_cluster, task, worker_id) (kconnect_task_info{{{SEL}}}))",
               "{{worker_id}}", instant=True)]), 8, 8)
