//! The standard `process_*` metrics of the exporter itself, read from `/proc/self` at scrape
//! time (Linux only; elsewhere there are none).

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;

#[cfg(target_os = "linux")]
pub(super) fn encode(enc: &mut DescriptorEncoder) -> Result<(), fmt::Error> {
    use prometheus_client::metrics::MetricType;

    // A process that cannot read its own /proc shows no process metrics rather than failing
    // the scrape.
    let Ok(me) = procfs::process::Process::myself() else {
        return Ok(());
    };
    let Ok(stat) = me.stat() else { return Ok(()) };
    let ticks = procfs::ticks_per_second() as f64;
    let page_size = procfs::page_size();

    let m = enc.encode_descriptor(
        "process_cpu_seconds",
        "Total user and system CPU time spent in seconds.",
        None,
        MetricType::Counter,
    )?;
    let cpu = (stat.utime + stat.stime) as f64 / ticks;
    let mut m = m;
    m.encode_counter::<prometheus_client::encoding::NoLabelSet, _, f64>(&cpu, None)?;

    let mut m = enc.encode_descriptor(
        "process_resident_memory_bytes",
        "Resident memory size in bytes.",
        None,
        MetricType::Gauge,
    )?;
    m.encode_gauge(&(stat.rss * page_size))?;
    let mut m = enc.encode_descriptor(
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes.",
        None,
        MetricType::Gauge,
    )?;
    m.encode_gauge(&stat.vsize)?;
    if let Ok(boot) = procfs::boot_time_secs() {
        let start = boot as f64 + stat.starttime as f64 / ticks;
        let mut m = enc.encode_descriptor(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            None,
            MetricType::Gauge,
        )?;
        m.encode_gauge(&start)?;
    }
    if let Ok(fds) = me.fd_count() {
        let mut m = enc.encode_descriptor(
            "process_open_fds",
            "Number of open file descriptors.",
            None,
            MetricType::Gauge,
        )?;
        m.encode_gauge(&(fds as u64))?;
    }
    if let Ok(limits) = me.limits()
        && let procfs::process::LimitValue::Value(max) = limits.max_open_files.soft_limit
    {
        let mut m = enc.encode_descriptor(
            "process_max_fds",
            "Maximum number of open file descriptors.",
            None,
            MetricType::Gauge,
        )?;
        m.encode_gauge(&max)?;
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn encode(_enc: &mut DescriptorEncoder) -> Result<(), fmt::Error> {
    Ok(())
}
