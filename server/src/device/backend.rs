//! The server's [`App`] as the device core's [`DeviceService`]: authentication through
//! [`auth`] (logging unverified acceptances), fetches and reports through [`App::mutate`]
//! (stored before they are answered), with the log lines both transports write.

use crate::app::App;
use crate::device::core::{DeviceService, Refusal};
use crate::device::query::FetchQuery;
use crate::device::{auth, log};
use crate::domain::service::{DeviceAuth, FetchResult, ResponsesReport};

/// The app, for requests of one transport (`"https"` or `"coap"`, for the logs).
#[derive(Debug, Clone, Copy)]
pub struct AppService<'a> {
    /// The app.
    pub app: &'a App,
    /// The transport's name in log lines.
    pub transport: &'static str,
}

impl DeviceService for AppService<'_> {
    fn authenticate(&mut self, token: Option<&str>) -> Result<DeviceAuth, Refusal> {
        auth::authenticate(self.app, token, self.transport).map_err(|e| Refusal::from(&e))
    }

    fn fetch(&mut self, device: &DeviceAuth, query: &FetchQuery) -> Result<FetchResult, Refusal> {
        tracing::debug!(
            device = %device.device,
            mver = query.mver.as_deref().unwrap_or(""),
            cver = query.cver.as_deref().unwrap_or(""),
            after = query.fetch.after.as_str(),
            rx_max_size = query.fetch.rx_max_size,
            tx_max_size = query.fetch.tx_max_size,
            limit = query.fetch.limit,
            "fetch"
        );
        let result = self
            .app
            .mutate(|service, now| service.fetch_commands(now, device.device, &query.fetch))
            .map_err(|e| Refusal::from(&e))?;
        log::notices(device.device, &result.notices);
        Ok(result)
    }

    fn report(&mut self, device: &DeviceAuth, body: &[u8]) -> Result<ResponsesReport, Refusal> {
        let report = self
            .app
            .mutate(|service, now| service.record_responses(now, device.device, body))
            .map_err(|e| Refusal::from(&e))?;
        log::report(device, &report);
        Ok(report)
    }
}
