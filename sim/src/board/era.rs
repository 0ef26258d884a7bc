//! The firmware eras of `sample-console.md` §0: what the console of each looks like.

use provlab_client::app::Era as AppEra;
use provlab_client::Generation;

/// Which sample firmware (and library) generation the board reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Era {
    /// \[A\] NCS v2.9.0: old API (START/STOP/DONE only, reboot after DONE), library chatter at
    /// INF, `LOG_MODE_IMMEDIATE`.
    V2_9,
    /// \[B\] about NCS 3.0: event callbacks, library still at INF (scheduling,
    /// paused/resumed), STOP before the result lines.
    V3_0,
    /// \[C\] NCS 3.1+ (the \[MK\] capture, v3.3.99): library chatter at DBG, result lines
    /// before STOP, `LOG_MODE_DEFERRED`.
    #[default]
    Current,
}

impl Era {
    /// Parses `v2.9`, `3.0` or `current`.
    pub fn parse(text: &str) -> Option<Era> {
        match text {
            "v2.9" | "2.9" | "v2.9.0" => Some(Era::V2_9),
            "3.0" | "v3.0" => Some(Era::V3_0),
            "current" => Some(Era::Current),
            _ => None,
        }
    }

    /// The spelling [`Era::parse`] takes.
    pub const fn name(self) -> &'static str {
        match self {
            Era::V2_9 => "v2.9",
            Era::V3_0 => "3.0",
            Era::Current => "current",
        }
    }

    /// The client generation whose wire behaviour the era has.
    pub const fn generation(self) -> Generation {
        self.app_era().generation()
    }

    /// The sample application the era runs ([`provlab_client::app::SampleApp`]).
    pub const fn app_era(self) -> AppEra {
        match self {
            Era::V2_9 => AppEra::V2_9,
            Era::V3_0 => AppEra::V3_0,
            Era::Current => AppEra::Current,
        }
    }

    /// The boot banner lines (§1.1): v2.9.0 from several captures; 3.0 from the NCS 3.0.2
    /// capture (index id 45779076409, the application's lines; which 3.0.x tag is \[B\] is
    /// unconfirmed); current from the \[MK\] capture (v3.3.99).
    pub const fn banner(self) -> [&'static str; 2] {
        match self {
            Era::V2_9 => [
                "*** Booting nRF Connect SDK v2.9.0-7787b2649840 ***",
                "*** Using Zephyr OS v3.7.99-1f8f3dc29142 ***",
            ],
            Era::V3_0 => [
                "*** Booting nRF Connect SDK v3.0.2-89ba1294ac9b ***",
                "*** Using Zephyr OS v4.0.99-f791c49f492c ***",
            ],
            Era::Current => [
                "*** Booting nRF Connect SDK v3.3.99-95ed8f7e7406 ***",
                "*** Using Zephyr OS v4.4.0-14033cef1f73 ***",
            ],
        }
    }

    /// Whether logs raised inside a shell command are printed there, without the prompt
    /// redraw (`LOG_MODE_IMMEDIATE`, \[A\]); otherwise they come after the prompt returns.
    pub const fn immediate_logs(self) -> bool {
        matches!(self, Era::V2_9)
    }

    /// Whether `Provisioning stopped` comes before the result lines (\[A\], \[B\]).
    pub const fn stop_before_result(self) -> bool {
        matches!(self, Era::V2_9 | Era::V3_0)
    }

    /// The `nrf_provisioning` subcommands and their help (§7; \[B\]/\[C\] have no `init`).
    pub fn subcommands(self) -> &'static [(&'static str, &'static str)] {
        const ALL: [(&str, &str); 5] = [
            ("init", "Start the client"),
            ("now", "Do provisioning now"),
            ("token", "Get the attestation token"),
            ("uuid", "Get device UUID"),
            ("interval", "Set provisioning interval"),
        ];
        match self {
            Era::V2_9 => &ALL,
            Era::V3_0 | Era::Current => ALL.get(1..).unwrap_or(&ALL),
        }
    }
}
