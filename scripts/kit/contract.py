"""The exporter's metric contract, as the monitoring kit may use it.

Source: the "Metrics" section of the README (the exporter's contract). Every metric name and
label that a dashboard panel, a dashboard variable, an alert rule or an annotation template
uses must be listed here; scripts/check-kit fails otherwise. Keep this in step with the README.
"""

# Connector states, per flavour of Connect: each flavour reports its own vocabulary.
APACHE_STATES = {"UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING", "STOPPED"}
CONFLUENT_CLOUD_STATES = {"NONE", "PROVISIONING", "RUNNING", "DEGRADED", "FAILED", "PAUSED", "DELETED"}
MSK_STATES = {"CREATING", "RUNNING", "UPDATING", "DELETING", "FAILED", "RESTARTING"}
CONNECTOR_STATES = APACHE_STATES | CONFLUENT_CLOUD_STATES | MSK_STATES
# Task states are Apache's for every flavour (MSK Connect reports none per task; its task counts,
# with the CloudWatch option, are RUNNING and FAILED).
TASK_STATES = APACHE_STATES
FLAVOURS = {"apache", "confluent_cloud", "msk"}
REASONS = {"timeout", "connect", "tls", "auth", "not_found", "starting", "rebalance", "server_error",
           "rate_limited", "unexpected_status", "decode", "too_large", "deadline"}

# metric name -> the labels the exporter gives it
METRICS = {
    # per cluster, always present
    "kconnect_up": {"connect_cluster"},
    "kconnect_cluster_info": {"connect_cluster", "flavour", "name", "version", "commit", "kafka_cluster_id",
                              "group_id", "offset_storage_topic", "observation_version"},
    "kconnect_observation_fallback": {"connect_cluster"},
    "kconnect_observation_duration_seconds_bucket": {"connect_cluster", "le"},
    "kconnect_observation_duration_seconds_sum": {"connect_cluster"},
    "kconnect_observation_duration_seconds_count": {"connect_cluster"},
    "kconnect_observations_total": {"connect_cluster", "result"},
    "kconnect_observation_errors_total": {"connect_cluster", "reason"},
    "kconnect_observation_error": {"connect_cluster", "reason"},
    "kconnect_observation_last_success_timestamp_seconds": {"connect_cluster"},
    "kconnect_observation_last_attempt_timestamp_seconds": {"connect_cluster"},
    "kconnect_observation_connectors_skipped_total": {"connect_cluster"},
    "kconnect_connect_requests_total": {"connect_cluster"},
    "kconnect_observation_interval_seconds": set(),
    # per cluster, only while the latest observation succeeded
    "kconnect_connectors": {"connect_cluster", "state"},
    "kconnect_tasks": {"connect_cluster", "state"},
    "kconnect_connector_state": {"connect_cluster", "connector", "state"},
    "kconnect_connector_info": {"connect_cluster", "connector", "type", "class", "worker_id",
                                "connector_id", "version", "connect_version"},
    "kconnect_connector_tasks": {"connect_cluster", "connector"},
    "kconnect_connector_tasks_max": {"connect_cluster", "connector"},
    "kconnect_connector_failed_tasks": {"connect_cluster", "connector"},
    "kconnect_connector_failure_info": {"connect_cluster", "connector", "exception"},
    "kconnect_connector_workers_min": {"connect_cluster", "connector"},
    "kconnect_connector_workers_max": {"connect_cluster", "connector"},
    "kconnect_connector_worker_mcu": {"connect_cluster", "connector"},
    "kconnect_task_state": {"connect_cluster", "connector", "task", "state"},
    "kconnect_task_info": {"connect_cluster", "connector", "task", "worker_id", "version"},
    "kconnect_task_failure_info": {"connect_cluster", "connector", "task", "exception"},
    # per cluster, Apache Connect only (Confluent Cloud and MSK Connect have no workers to show)
    "kconnect_worker_connectors": {"connect_cluster", "worker_id"},
    "kconnect_worker_tasks": {"connect_cluster", "worker_id"},
    "kconnect_observation_connectors_unreadable": {"connect_cluster"},
    # opt-in per cluster: the topics each connector reads or writes (Connect 2.5+, KIP-558)
    "kconnect_connector_topic_info": {"connect_cluster", "connector", "topic"},
    # sink connectors: their consumer group, named like kafka_exporter's label so that the two join
    "kconnect_connector_consumer_group_info": {"connect_cluster", "connector", "consumergroup"},
    # the worker behind the cluster's URL: 1 healthy, 0 not (Connect 3.9+, KIP-1017)
    "kconnect_worker_health": {"connect_cluster"},
    # the exporter itself
    "kconnect_exporter_build_info": {"version", "revision"},
    "kconnect_exporter_scrapes_total": set(),
    "kconnect_exporter_scrapes_refused_total": set(),
    # what the exporter does to Connect: access decisions, auto-restart
    "kconnect_access_decisions_total": {"action", "decision"},
    "kconnect_auto_restarts_total": {"connect_cluster", "connector", "result"},
    "kconnect_auto_restart_attempts_left": {"connect_cluster", "connector"},
    "kconnect_auto_restart_next_attempt_timestamp_seconds": {"connect_cluster", "connector"},
    "process_cpu_seconds_total": set(),
    "process_resident_memory_bytes": set(),
    "process_virtual_memory_bytes": set(),
    "process_start_time_seconds": set(),
    "process_open_fds": set(),
    "process_max_fds": set(),
}

# Series that Prometheus itself writes for every scrape target (not the exporter's).
PROMETHEUS_SERIES = {
    "up": set(),
    "scrape_duration_seconds": set(),
}

# Series of other exporters that the kit joins with the exporter's (listed so that the checks know
# their labels). kafka_exporter (danielqsj/kafka_exporter): consumer-group lag per partition.
EXTERNAL_SERIES = {
    "kafka_consumergroup_lag": {"consumergroup", "topic", "partition"},
}

# Labels of the exporter's series that are left out where their value is unknown (Prometheus reads
# a missing label as ""), so an exposition may lack them.
OPTIONAL_LABELS = {
    ("kconnect_connector_info", "connector_id"),
    ("kconnect_connector_info", "version"),
    ("kconnect_connector_info", "connect_version"),
    ("kconnect_task_info", "version"),
}

# Labels Prometheus attaches to every scraped series.
TARGET_LABELS = {"job", "instance"}

# Allowed values of a label, where the contract fixes them.
LABEL_VALUES = {
    ("kconnect_connectors", "state"): CONNECTOR_STATES,
    ("kconnect_tasks", "state"): TASK_STATES,
    ("kconnect_connector_state", "state"): CONNECTOR_STATES,
    ("kconnect_task_state", "state"): TASK_STATES,
    ("kconnect_cluster_info", "flavour"): FLAVOURS,
    ("kconnect_observations_total", "result"): {"success", "failure"},
    ("kconnect_observation_errors_total", "reason"): REASONS,
    ("kconnect_observation_error", "reason"): REASONS,
    ("kconnect_connector_info", "type"): {"source", "sink", "unknown"},
    ("kconnect_cluster_info", "observation_version"): {"1", "2"},
    ("kconnect_access_decisions_total", "action"): {"CONNECT_INSPECT", "CONNECT_ALTER_STATE"},
    ("kconnect_access_decisions_total", "decision"): {"allowed", "denied"},
    ("kconnect_auto_restarts_total", "result"): {"success", "failure"},
}


def all_labels():
    out = set(TARGET_LABELS) | {"le"}
    for labels in list(METRICS.values()) + list(PROMETHEUS_SERIES.values()) + list(EXTERNAL_SERIES.values()):
        out |= labels
    return out
