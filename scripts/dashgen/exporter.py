"""The exporter dashboard (kconnect-exporter): health of kconnect-exporter itself, its
observations (duration, results, failures, staleness), the load it puts on Kafka Connect, and
its process."""

from grafana_foundation_sdk.builders import common as common_b
from grafana_foundation_sdk.models import common

from . import panels
from .kconnect import CC, EXP, connect_cluster_variable, new_board, up_mappings
from .panels import query

UID = "kconnect-exporter"
SEL = f"{EXP}, {CC}"
STALE_LINE = "3 × interval"


def build():
    board = new_board(
        UID, "Kafka Connect / Exporter",
        "Health of kconnect-exporter: observation duration and failures, time since the last success, the "
        "requests it sends to Kafka Connect, scrape load and process resources.",
        [panels.datasource_variable(),
         panels.query_variable("job", "Job", "label_values(kconnect_exporter_build_info, job)"),
         panels.query_variable("instance", "Instance", 'label_values(kconnect_exporter_build_info{job=~"$job"}, instance)'),
         connect_cluster_variable()])
    exporter(board)
    observations(board)
    load_on_connect(board)
    process(board)
    return board.build()


def exporter(board):
    board.row("Exporter")
    board.add(panels.stat(
        "Version", "kconnect_exporter_build_info.",
        [query(f"kconnect_exporter_build_info{{{EXP}}}", "{{instance}}: {{version}} ({{revision}})")],
        text_mode=common.BigValueTextMode.NAME, color_mode=common.BigValueColorMode.NONE), 6, 4)
    board.add(panels.stat(
        "Scrape target", "Prometheus' own up series for the exporter's scrape target.",
        [query(f"up{{{EXP}}}", "{{instance}}")], mappings=up_mappings()), 6, 4)
    board.add(panels.stat(
        "Uptime", "time() - process_start_time_seconds.",
        [query(f"time() - process_start_time_seconds{{{EXP}}}", "{{instance}}")],
        unit="s", color_mode=common.BigValueColorMode.NONE), 6, 4)
    board.add(panels.stat(
        "Observation interval", "kconnect_observation_interval_seconds (--observation.interval).",
        [query(f"kconnect_observation_interval_seconds{{{EXP}}}", "{{instance}}")],
        unit="s", color_mode=common.BigValueColorMode.NONE), 6, 4)


def duration_quantile(q, ref):
    return query(f"histogram_quantile({q}, sum by (connect_cluster, le) "
                 f"(rate(kconnect_observation_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))",
                 f"p{round(q * 100)} {{{{connect_cluster}}}}", ref)


def observations(board):
    board.row("Observations")
    board.add(panels.timeseries(
        "Observation duration",
        "Quantiles of kconnect_observation_duration_seconds (histogram), per cluster, and the mean.",
        [
            duration_quantile(0.5, "A"),
            duration_quantile(0.9, "B"),
            duration_quantile(0.99, "C"),
            query(f"sum by (connect_cluster) (rate(kconnect_observation_duration_seconds_sum{{{SEL}}}[$__rate_interval]))\n"
                  f"/ sum by (connect_cluster) (rate(kconnect_observation_duration_seconds_count{{{SEL}}}[$__rate_interval]))",
                  "mean {{connect_cluster}}", "D"),
        ], unit="s"), 12, 8)
    board.add(panels.timeseries(
        "Observations by result", "rate(kconnect_observations_total) per minute, by cluster and result.",
        [query(f"60 * sum by (connect_cluster, result) (rate(kconnect_observations_total{{{SEL}}}[$__rate_interval]))",
               "{{connect_cluster}} {{result}}")],
        unit="opm", overrides=[panels.colour_override("byRegexp", ".* failure", "red")]), 12, 8)
    board.add(panels.timeseries(
        "Observation failures by reason",
        "rate(kconnect_observation_errors_total) per minute, by cluster and reason (reasons at 0 are hidden).",
        [query(f"60 * sum by (connect_cluster, reason) (rate(kconnect_observation_errors_total{{{SEL}}}[$__rate_interval])) > 0",
               "{{connect_cluster}} {{reason}}")],
        unit="opm"), 12, 8)
    board.add(panels.timeseries(
        "Time since last successful observation",
        "time() - kconnect_observation_last_success_timestamp_seconds, against 3 observation intervals (the "
        "threshold of the KafkaConnectObservationStale alert).",
        [
            query(f"time() - kconnect_observation_last_success_timestamp_seconds{{{SEL}}}",
                  "{{connect_cluster}} ({{instance}})", "A"),
            query(f"3 * max(kconnect_observation_interval_seconds{{{EXP}}})", STALE_LINE, "B"),
        ], unit="s",
        overrides=[panels.override(
            "byName", STALE_LINE,
            ("color", panels.fixed_colour("red")),
            ("custom.lineStyle", common_b.LineStyle().fill("dash").dash([10, 10]).build()),
            ("custom.fillOpacity", 0))]), 12, 8)
    board.add(panels.state_timeline(
        "Cluster observed", "kconnect_up per cluster and exporter instance.",
        [query(f"kconnect_up{{{SEL}}}", "{{connect_cluster}} ({{instance}})")], up_mappings()), 12, 6)
    board.add(panels.table(
        "Why the latest observation failed",
        "kconnect_observation_error: present only while kconnect_up == 0.",
        [query(f"kconnect_observation_error{{{SEL}}} == 1", table=True)],
        ["connect_cluster", "reason", "instance"]), 12, 6)


def load_on_connect(board):
    board.row("Load on Kafka Connect")
    requests = f"sum by (connect_cluster) (rate(kconnect_connect_requests_total{{{SEL}}}[$__rate_interval]))"
    board.add(panels.timeseries(
        "Requests sent to Connect", "rate(kconnect_connect_requests_total): HTTP requests to each Connect cluster.",
        [query(requests, "{{connect_cluster}}")], unit="reqps"), 8, 8)
    board.add(panels.timeseries(
        "Requests per observation",
        "Requests to Connect divided by observations: 1 with observation v2, 3 per connector + 1 with v1.",
        [query(f"{requests}\n"
               f"/ sum by (connect_cluster) (rate(kconnect_observations_total{{{SEL}}}[$__rate_interval]))",
               "{{connect_cluster}}")]), 8, 8)
    board.add(panels.timeseries(
        "Connectors skipped and v1 fallback",
        "Connectors listed but gone (404) before their details were read "
        "(increase of kconnect_observation_connectors_skipped_total), connectors listed but not readable by name "
        "(kconnect_observation_connectors_unreadable: their state is not shown), and kconnect_observation_fallback "
        "(1: v2 configured, observed with v1).",
        [
            query(f"sum by (connect_cluster) (increase(kconnect_observation_connectors_skipped_total{{{SEL}}}[$__rate_interval]))",
                  "{{connect_cluster}} skipped", "A"),
            query(f"max by (connect_cluster) (kconnect_observation_fallback{{{SEL}}})", "{{connect_cluster}} fallback", "B"),
            query(f"max by (connect_cluster) (kconnect_observation_connectors_unreadable{{{SEL}}})",
                  "{{connect_cluster}} unreadable", "C"),
        ]), 8, 8)


def process(board):
    board.row("Process")
    board.add(panels.timeseries(
        "Scrapes served",
        "rate(kconnect_exporter_scrapes_total): /metrics requests served by the exporter, and "
        "rate(kconnect_exporter_scrapes_refused_total): scrapes refused with 503 because --web.max-requests were "
        "in flight.",
        [
            query(f"sum by (instance) (rate(kconnect_exporter_scrapes_total{{{EXP}}}[$__rate_interval]))",
                  "{{instance}}", "A"),
            query(f"sum by (instance) (rate(kconnect_exporter_scrapes_refused_total{{{EXP}}}[$__rate_interval]))",
                  "{{instance}} refused", "B"),
        ],
        unit="reqps", overrides=[panels.colour_override("byRegexp", ".* refused", "red")]), 6, 8)
    board.add(panels.timeseries(
        "Scrape duration", "Prometheus' scrape_duration_seconds for the exporter's target.",
        [query(f"scrape_duration_seconds{{{EXP}}}", "{{instance}}")], unit="s"), 6, 8)
    board.add(panels.timeseries(
        "Process memory", "process_resident_memory_bytes and process_virtual_memory_bytes.",
        [
            query(f"process_resident_memory_bytes{{{EXP}}}", "{{instance}} resident", "A"),
            query(f"process_virtual_memory_bytes{{{EXP}}}", "{{instance}} virtual", "B"),
        ], unit="bytes"), 6, 8)
    board.add(panels.timeseries(
        "Process CPU", "rate(process_cpu_seconds_total): 100% is one core.",
        [query(f"rate(process_cpu_seconds_total{{{EXP}}}[$__rate_interval])", "{{instance}}")],
        unit="percentunit"), 6, 8)
    board.add(panels.timeseries(
        "Open file descriptors", "process_open_fds against process_max_fds.",
        [
            query(f"process_open_fds{{{EXP}}}", "{{instance}} open", "A"),
            query(f"process_max_fds{{{EXP}}}", "{{instance}} max", "B"),
        ]), 12, 8)
