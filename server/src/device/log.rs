//! The log lines both transports write about a fetch or a report.

use crate::domain::service::{DeviceAuth, Notice, RecordDisposition, ResponsesReport};
use crate::domain::DeviceId;

/// Logs a fetch's notices (rules applied, commands rejected, records sent again).
pub fn notices(device: DeviceId, notices: &[Notice]) {
    for notice in notices {
        tracing::info!(%device, %notice, "fetch notice");
    }
}

/// Logs what became of a responses body, and each record that was ignored and why.
pub fn report(device: &DeviceAuth, report: &ResponsesReport) {
    tracing::info!(
        device = %device.device,
        records = report.records.len(),
        recorded = report.recorded(),
        "responses received"
    );
    for outcome in report
        .records
        .iter()
        .filter(|r| r.disposition != RecordDisposition::Recorded)
    {
        tracing::info!(
            device = %device.device,
            id = %outcome.id,
            disposition = ?outcome.disposition,
            "response record ignored"
        );
    }
}
