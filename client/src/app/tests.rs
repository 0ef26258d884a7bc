//! Each era's sequence of the sample application.

use std::time::Duration;

use super::{AppAction, AppConfig, AppLog, Era, SampleApp, LTE_OFF, LTE_ON};
use crate::action::Input;
use crate::event::Event;
use crate::time::Timestamp;

const ATTACH: Duration = Duration::from_millis(2000);

fn app(era: Era) -> SampleApp {
    SampleApp::new(AppConfig::new(era, ATTACH))
}

fn drain(app: &mut SampleApp) -> Vec<AppAction> {
    std::iter::from_fn(|| app.poll_action()).collect()
}

fn at(line: &str) -> AppAction {
    AppAction::ModemAt(line.to_owned())
}

fn attached(first: bool) -> AppAction {
    AppAction::Log(AppLog::Attached { first })
}

#[test]
fn v2_9_and_3_0_boot_then_init_after_the_first_attach() {
    for era in [Era::V2_9, Era::V3_0] {
        let mut app = app(era);
        app.boot(Timestamp::ZERO);
        assert_eq!(
            drain(&mut app),
            [
                AppAction::Log(AppLog::Booted),
                AppAction::ProvisionRootCa,
                at(LTE_ON),
            ],
            "{era:?}"
        );
        assert_eq!(app.poll_timeout(), Some(Timestamp(2000)));
        assert!(!app.has_attached());
        // Not yet due: nothing happens.
        app.handle_timeout(Timestamp(1999));
        assert!(drain(&mut app).is_empty());
        app.handle_timeout(Timestamp(2000));
        assert_eq!(
            drain(&mut app),
            [
                attached(true),
                AppAction::ClientNetworkTime,
                AppAction::Client(Input::NetworkUp),
                AppAction::InitClient,
            ],
            "{era:?}"
        );
        assert_eq!(app.poll_timeout(), None);
        assert!(app.has_attached());
    }
}

#[test]
fn current_inits_before_the_attach_with_the_network_down() {
    let mut app = app(Era::Current);
    app.boot(Timestamp(5));
    assert_eq!(
        drain(&mut app),
        [
            AppAction::Log(AppLog::Booted),
            AppAction::ProvisionRootCa,
            at(LTE_ON),
            AppAction::ClientNetworkTime,
            AppAction::Client(Input::NetworkDown),
            AppAction::InitClient,
        ]
    );
    assert_eq!(app.poll_timeout(), Some(Timestamp(2005)));
    app.handle_timeout(Timestamp(2005));
    assert_eq!(
        drain(&mut app),
        [
            attached(true),
            AppAction::ClientNetworkTime,
            AppAction::Client(Input::NetworkUp),
        ]
    );
}

#[test]
fn lte_goes_off_around_command_execution_and_comes_back_after_the_attach_delay() {
    for era in [Era::V2_9, Era::V3_0, Era::Current] {
        let mut app = app(era);
        app.boot(Timestamp::ZERO);
        app.handle_timeout(Timestamp(2000));
        drain(&mut app);
        app.on_event(Timestamp(3000), &Event::NeedLteDeactivated);
        assert_eq!(
            drain(&mut app),
            [at(LTE_OFF), AppAction::Client(Input::NetworkDown)],
            "{era:?}"
        );
        assert_eq!(app.poll_timeout(), None);
        app.on_event(Timestamp(4000), &Event::NeedLteActivated);
        assert_eq!(drain(&mut app), [at(LTE_ON)], "{era:?}");
        assert_eq!(app.poll_timeout(), Some(Timestamp(6000)));
        app.handle_timeout(Timestamp(6500));
        // Not the boot attach: no second init.
        assert_eq!(
            drain(&mut app),
            [
                attached(false),
                AppAction::ClientNetworkTime,
                AppAction::Client(Input::NetworkUp),
            ],
            "{era:?}"
        );
    }
}

#[test]
fn v2_9_goes_offline_and_reboots_after_done() {
    let mut app = app(Era::V2_9);
    app.boot(Timestamp::ZERO);
    app.handle_timeout(Timestamp(2000));
    drain(&mut app);
    app.on_event(Timestamp(9000), &Event::Done);
    assert_eq!(drain(&mut app), [at(LTE_OFF), AppAction::Reboot]);
    assert!(app.is_rebooting());
    // The boot is over: later events and modem reboots change nothing.
    app.on_event(Timestamp(9000), &Event::NeedLteActivated);
    app.modem_rebooted(Timestamp(9000));
    assert!(drain(&mut app).is_empty());
    assert_eq!(app.poll_timeout(), None);
    // The next boot starts afresh.
    app.boot(Timestamp::ZERO);
    assert!(!app.is_rebooting());
    assert_eq!(drain(&mut app).len(), 3);
}

#[test]
fn later_eras_do_not_reboot_after_done() {
    for era in [Era::V3_0, Era::Current] {
        let mut app = app(era);
        app.boot(Timestamp::ZERO);
        drain(&mut app);
        app.on_event(Timestamp(9000), &Event::Done);
        assert!(drain(&mut app).is_empty(), "{era:?}");
        assert!(!app.is_rebooting());
    }
}

#[test]
fn other_events_need_nothing_from_the_application() {
    let mut app = app(Era::V3_0);
    for event in [
        Event::Start,
        Event::Stop,
        Event::NoCommands,
        Event::Failed,
        Event::FailedDeviceNotClaimed { token: None },
        Event::ScheduledProvisioning { next_attempt_s: 5 },
    ] {
        app.on_event(Timestamp::ZERO, &event);
    }
    assert!(drain(&mut app).is_empty());
}

#[test]
fn a_modem_reboot_drops_lte_and_the_application_reattaches() {
    let mut app = app(Era::V3_0);
    app.boot(Timestamp::ZERO);
    app.handle_timeout(Timestamp(2000));
    drain(&mut app);
    app.modem_rebooted(Timestamp(7000));
    assert_eq!(
        drain(&mut app),
        [AppAction::Client(Input::NetworkDown), at(LTE_ON)]
    );
    app.handle_timeout(Timestamp(9000));
    assert_eq!(drain(&mut app)[0], attached(false));
}

#[test]
fn a_modem_reboot_before_the_first_attach_keeps_the_boot_attach() {
    let mut app = app(Era::V2_9);
    app.boot(Timestamp::ZERO);
    drain(&mut app);
    app.modem_rebooted(Timestamp(1000));
    drain(&mut app);
    // The wait restarts; init still follows the attach.
    assert_eq!(app.poll_timeout(), Some(Timestamp(3000)));
    app.handle_timeout(Timestamp(3000));
    let actions = drain(&mut app);
    assert_eq!(actions.first(), Some(&attached(true)));
    assert_eq!(actions.last(), Some(&AppAction::InitClient));
}

#[test]
fn eras_map_to_library_generations() {
    use crate::config::Generation;
    assert_eq!(Era::V2_9.generation(), Generation::V2_9);
    assert_eq!(Era::V3_0.generation(), Generation::Current);
    assert_eq!(Era::Current.generation(), Generation::Current);
}
