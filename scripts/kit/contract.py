"""The exporter's metric contract, as the monitoring kit may use it.

Source: the "Metrics" section of the README (the exporter's contract). Every metric name and
label that a dashboard panel, a dashboard variable, an alert rule or an annotation template
uses must be listed here; scripts/check-kit fails otherwise. Keep this in step with the README.
"""

STATES = {"UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING", "STOPPED"}
REASONS = {"timeout", "connect", "tls", "auth", "not_found", "starting", "rebalance", "server_error",
           "rate_limited", "unexpected_status", "decode", "too_large", "deadline"}

# metric name -> the labels the exporter gives it
METRICS = {
    # per cluster, always present
    "kconnect_up": {"connect_cluster"},
    "kconnect_cluster_info": {"connect_cluster", "name", "version", "commit", "kafka_cluster_id", "group_id",
                              "offset_storage_topic", "observation_version"},
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
    "kconnect_connector_info": {"connect_cluster", "connector", "type", "class", "worker_id"},
    "kconnect_connector_tasks": {"connect_cluster", "connector"},
    "kconnect_connector_tasks_max": {"connect_cluster", "connector"},
    "kconnect_connector_failure_info": {"connect_cluster", "connector", "exception"},
    "kconnect_task_state": {"connect_cluster", "connector", "task", "state"},
    "kconnect_task_info": {"connect_cluster", "connector", "task", "worker_id"},
    "kconnect_task_failure_info": {"connect_cluster", "connector", "task", "exception"},
    "kconnect_worker_connectors": {"connect_cluster", "worker_id"},
    "kconnect_worker_tasks": {"connect_cluster", "worker_id"},
    "kconnect_observation_connectors_unreadable": {"connect_cluster"},
    # the exporter itself
    "kconnect_exporter_build_info": {"version", "revision"},
    "kconnect_exporter_scrapes_total": set(),
    "kconnect_exporter_scrapes_refused_total": set(),
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

# Labels Prometheus attaches to every scraped series.
TARGET_LABELS = {"job", "instance"}

# Allowed values of a label, where the contract fixes them.
LABEL_VALUES = {
    ("kconnect_connectors", "state"): STATES,
    ("kconnect_tasks", "state"): STATES,
    ("kconnect_connector_state", "state"): STATES,
    ("kconnect_task_state", "state"): STATES,
    ("kconnect_observations_total", "result"): {"success", "failure"},
    ("kconnect_observation_errors_total", "reason"): REASONS,
    ("kconnect_observation_error", "reason"): REASONS,
    ("kconnect_connector_info", "type"): {"source", "sink", "unknown"},
    ("kconnect_cluster_info", "observation_version"): {"1", "2"},
}


def all_labels():
    out = set(TARGET_LABELS) | {"le"}
    for labels in list(METRICS.values()) + list(PROMETHEUS_SERIES.values()):
        out |= labels
    return out
