//! [`ProbeRs`]: the [`Probe`] operations on the probe-rs 0.32 library (J-Link and
//! CMSIS-DAP v2 over `nusb`; no libusb, no libudev). The API is synchronous; a session can
//! live on a blocking thread (`Session` is `Send`).

use std::path::Path;
use std::time::Duration;

use probe_rs::flashing::{
    download_file_with_options, erase_all, image_format, DownloadOptions, FlashProgress,
};
use probe_rs::probe::list::{Accessibility, Lister};
use probe_rs::probe::DebugProbeSelector;
use probe_rs::rtt::{try_attach_to_rtt, ScanRegion};
use probe_rs::{Permissions, Session};

use super::udev;
use super::{Access, ImageFormat, Probe, ProbeError, ProbeRow, Rtt, Selector};
use crate::rack::UsbId;

/// How long `reset_and_halt` may take before clearing the RTT control block.
const HALT_TIMEOUT: Duration = Duration::from_millis(500);

/// A probe driven through probe-rs.
#[derive(Default)]
pub struct ProbeRs {
    session: Option<Session>,
    rtt: Option<probe_rs::rtt::Rtt>,
}

impl std::fmt::Debug for ProbeRs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeRs")
            .field("open", &self.session.is_some())
            .field("rtt", &self.rtt.is_some())
            .finish()
    }
}

impl ProbeRs {
    /// A driver with no probe open.
    pub fn new() -> Self {
        Self::default()
    }

    fn attach(
        &self,
        selector: &Selector,
        chip: &str,
        permissions: Permissions,
    ) -> Result<Session, ProbeError> {
        let probe = Lister::new()
            .open(to_probe_rs(selector))
            .map_err(|source| ProbeError::Open {
                probe: selector.to_string(),
                source,
            })?;
        probe
            .attach(chip, permissions)
            .map_err(|source| match source {
                probe_rs::Error::MissingPermissions(_) => ProbeError::Locked {
                    chip: chip.to_owned(),
                },
                source => ProbeError::Target {
                    op: "attaching to the chip",
                    source,
                },
            })
    }

    fn session(&mut self) -> Result<&mut Session, ProbeError> {
        self.session.as_mut().ok_or(ProbeError::NotOpen)
    }
}

fn to_probe_rs(selector: &Selector) -> DebugProbeSelector {
    DebugProbeSelector {
        vendor_id: selector.vid.0,
        product_id: selector.pid.0,
        interface: selector.interface,
        serial_number: selector.serial.clone(),
    }
}

fn target(op: &'static str) -> impl FnOnce(probe_rs::Error) -> ProbeError {
    move |source| ProbeError::Target { op, source }
}

impl Probe for ProbeRs {
    fn list_probes(&mut self) -> Result<Vec<ProbeRow>, ProbeError> {
        Ok(Lister::new()
            .list_all_with_access()
            .into_iter()
            .map(|item| {
                let vid = UsbId(item.info.vendor_id);
                let pid = UsbId(item.info.product_id);
                ProbeRow {
                    vid,
                    pid,
                    interface: item.info.interface,
                    serial: item.info.serial_number.clone(),
                    name: item.info.identifier.clone(),
                    access: match item.accessibility {
                        Accessibility::Accessible => Access::Accessible,
                        Accessibility::PermissionDenied => Access::PermissionDenied {
                            explanation: udev::explain(vid, pid),
                        },
                    },
                }
            })
            .collect())
    }

    fn open(&mut self, selector: &Selector, chip: &str) -> Result<(), ProbeError> {
        self.close();
        self.session = Some(self.attach(selector, chip, Permissions::default())?);
        Ok(())
    }

    fn flash(&mut self, image: &Path, format: ImageFormat) -> Result<(), ProbeError> {
        let name = match format {
            ImageFormat::Hex => "hex",
            ImageFormat::Elf => "elf",
        };
        let loader = image_format(name).ok_or_else(|| ProbeError::UnknownFormat {
            image: image.to_path_buf(),
        })?;
        let mut options = DownloadOptions::default();
        options.verify = true;
        options.progress = FlashProgress::empty();
        let session = self.session()?;
        download_file_with_options(session, image, loader.create_loader(None), options).map_err(
            |source| ProbeError::Flash {
                image: image.to_path_buf(),
                source,
            },
        )
    }

    fn reset(&mut self, rtt: Rtt) -> Result<(), ProbeError> {
        self.rtt = None;
        let session = self.session()?;
        let mut core = session.core(0).map_err(target("selecting core 0"))?;
        match rtt {
            Rtt::Off => {
                core.reset().map_err(target("resetting"))?;
                Ok(())
            }
            Rtt::Capture { attach_timeout } => {
                core.reset_and_halt(HALT_TIMEOUT)
                    .map_err(target("resetting and halting"))?;
                probe_rs::rtt::Rtt::clear_control_block(&mut core, &ScanRegion::Ram)
                    .map_err(|source| ProbeError::Rtt { source })?;
                core.run().map_err(target("running"))?;
                let attached = try_attach_to_rtt(&mut core, attach_timeout, &ScanRegion::Ram)
                    .map_err(|source| ProbeError::Rtt { source })?;
                drop(core);
                self.rtt = Some(attached);
                Ok(())
            }
        }
    }

    fn read_rtt(&mut self, buf: &mut [u8]) -> Result<usize, ProbeError> {
        let session = self.session.as_mut().ok_or(ProbeError::NotOpen)?;
        let rtt = self.rtt.as_mut().ok_or(ProbeError::RttNotAttached)?;
        let mut core = session.core(0).map_err(target("selecting core 0"))?;
        let channel = rtt.up_channel(0).ok_or(ProbeError::RttNotAttached)?;
        channel
            .read(&mut core, buf)
            .map_err(|source| ProbeError::Rtt { source })
    }

    fn recover(&mut self, selector: &Selector, chip: &str) -> Result<(), ProbeError> {
        self.close();
        // Attaching with erase-all permission makes the nRF91 sequence run CTRL-AP ERASEALL
        // on a locked chip; the mass erase then also clears an unlocked one.
        let mut session = self.attach(selector, chip, Permissions::new().allow_erase_all())?;
        erase_all(&mut session, &mut FlashProgress::empty(), false)
            .map_err(|source| ProbeError::Erase { source })?;
        Ok(())
    }

    fn close(&mut self) {
        self.rtt = None;
        self.session = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_without_probes_or_udev_works() {
        // No probe is attached on a build machine; this checks that the call runs.
        let rows = ProbeRs::new().list_probes().unwrap();
        assert!(rows.iter().all(|r| !r.name.is_empty()));
    }

    #[test]
    fn the_driver_can_move_to_a_blocking_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<ProbeRs>();
        assert_send::<Box<dyn Probe + Send>>();
    }

    #[test]
    fn calls_before_open_fail_cleanly() {
        let mut probe = ProbeRs::new();
        assert!(matches!(
            probe.flash(Path::new("a.hex"), ImageFormat::Hex),
            Err(ProbeError::NotOpen)
        ));
        assert!(matches!(probe.reset(Rtt::Off), Err(ProbeError::NotOpen)));
        assert!(matches!(
            probe.read_rtt(&mut [0; 4]),
            Err(ProbeError::NotOpen)
        ));
    }

    #[test]
    fn selectors_carry_every_field() {
        let sel = Selector {
            vid: UsbId(0x1366),
            pid: UsbId(0x1055),
            interface: Some(2),
            serial: Some("000960066748".to_owned()),
        };
        let converted = to_probe_rs(&sel);
        assert_eq!(converted.vendor_id, 0x1366);
        assert_eq!(converted.product_id, 0x1055);
        assert_eq!(converted.interface, Some(2));
        assert_eq!(sel.to_string(), "1366:1055-2:000960066748");
        // probe-rs parses our text to the same selector.
        let parsed: DebugProbeSelector = "1366:1055:000960066748".parse().unwrap();
        let plain = Selector {
            interface: None,
            ..sel
        };
        assert_eq!(to_probe_rs(&plain), parsed);
    }
}
