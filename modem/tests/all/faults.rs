//! Fault injection: CME / ERROR answers, delays, lost network time, full storage, reboots.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use provlab_modem::{FaultAction, FaultRule, Modem, ModemConfig, Reply};

const NOW: u64 = 1_700_000_000;

fn modem() -> Modem {
    Modem::new(ModemConfig::from_seed(4)).unwrap()
}

fn run(m: &mut Modem, line: &str) -> Reply {
    m.execute(NOW, line.as_bytes())
}

#[test]
fn cme_on_the_nth_occurrence_only() {
    let mut m = modem();
    run(&mut m, "AT+CMEE=1");
    m.faults().add(
        FaultRule::new("%CMNG", FaultAction::Cme(515))
            .params("0,*")
            .nth(2),
    );
    assert_eq!(run(&mut m, "AT%CMNG=0,1,0,\"a\"").text, "OK\r\n");
    // Not a write: not counted.
    assert!(run(&mut m, "AT%CMNG=1").answer.result.is_ok());
    assert_eq!(
        run(&mut m, "AT%CMNG=0,1,1,\"b\"").text,
        "+CME ERROR: 515\r\n"
    );
    // The failed command was not executed.
    assert_eq!(m.credentials().len(), 1);
    assert_eq!(run(&mut m, "AT%CMNG=0,1,1,\"b\"").text, "OK\r\n");
    assert_eq!(m.faults().fired().len(), 1);
    assert_eq!(m.faults().fired()[0].occurrence, 2);
}

#[test]
fn injected_cme_is_plain_error_without_cmee() {
    let mut m = modem();
    m.faults()
        .add(FaultRule::new("AT+CGSN", FaultAction::Cme(100)));
    assert_eq!(run(&mut m, "AT+CGSN").text, "ERROR\r\n");
    run(&mut m, "AT+CMEE=1");
    assert_eq!(run(&mut m, "at+cgsn").text, "+CME ERROR: 100\r\n");
}

#[test]
fn error_for_a_number_of_times() {
    let mut m = modem();
    let id = m
        .faults()
        .add(FaultRule::new("at", FaultAction::Error).times(2));
    assert_eq!(run(&mut m, "AT").text, "ERROR\r\n");
    assert_eq!(run(&mut m, "AT").text, "ERROR\r\n");
    assert_eq!(run(&mut m, "AT").text, "OK\r\n");
    assert!(m.faults().remove(id));
    assert!(!m.faults().remove(id));
}

#[test]
fn exact_parameter_pattern() {
    let mut m = modem();
    run(&mut m, "AT+CMEE=1");
    run(&mut m, "AT%CMNG=0,5,0,\"x\"");
    run(&mut m, "AT%CMNG=0,6,0,\"x\"");
    m.faults()
        .add(FaultRule::new("%cmng", FaultAction::Cme(514)).params("3,5,0"));
    assert_eq!(run(&mut m, "AT%CMNG=3,6,0").text, "OK\r\n");
    assert_eq!(run(&mut m, "AT%CMNG=3,5,0").text, "+CME ERROR: 514\r\n");
    assert_eq!(run(&mut m, "AT%CMNG=3,5,0").text, "+CME ERROR: 514\r\n");
    // Read form pattern.
    m.faults()
        .add(FaultRule::new("+CFUN", FaultAction::Error).params("?"));
    assert_eq!(run(&mut m, "AT+CFUN?").text, "ERROR\r\n");
    assert_eq!(run(&mut m, "AT+CFUN=4").text, "OK\r\n");
}

#[test]
fn delay_keeps_the_answer() {
    let mut m = modem();
    m.faults()
        .add(FaultRule::new("%KEYGEN", FaultAction::Delay(Duration::from_secs(3))).nth(1));
    let reply = run(&mut m, "AT%KEYGEN=1,2");
    assert!(reply.answer.result.is_ok());
    assert_eq!(reply.delay, Duration::from_secs(3));
    assert_eq!(run(&mut m, "AT%KEYGEN=1,2").delay, Duration::ZERO);
}

#[test]
fn drop_network_time_from_now_on() {
    let mut m = modem();
    run(&mut m, "AT+CMEE=1");
    assert!(run(&mut m, "AT%CCLK?").answer.result.is_ok());
    m.faults()
        .add(FaultRule::new("%JWT", FaultAction::DropNetworkTime).nth(2));
    assert!(run(&mut m, "AT%JWT=0,300,\"\",\"\"").answer.result.is_ok());
    assert_eq!(
        run(&mut m, "AT%JWT=0,300,\"\",\"\"").text,
        "+CME ERROR: 525\r\n"
    );
    assert_eq!(run(&mut m, "AT%CCLK?").text, "ERROR\r\n");
    assert_eq!(run(&mut m, "AT+CCLK?").text, "ERROR\r\n");
    assert!(!m.network_time());
    m.set_network_time(true);
    assert!(run(&mut m, "AT%CCLK?").answer.result.is_ok());
}

#[test]
fn storage_full_refuses_writes_until_cleared() {
    let mut m = modem();
    run(&mut m, "AT+CMEE=1");
    run(&mut m, "AT%CMNG=0,1,0,\"a\"");
    run(&mut m, "AT%KEYGEN=2,8");
    m.faults()
        .add(FaultRule::new("%CMNG", FaultAction::StorageFull).nth(1));
    assert_eq!(
        run(&mut m, "AT%CMNG=0,1,1,\"b\"").text,
        "+CME ERROR: 515\r\n"
    );
    assert_eq!(run(&mut m, "AT%KEYGEN=3,2").text, "+CME ERROR: 515\r\n");
    // Reusing an existing endorsement key stores nothing.
    assert!(run(&mut m, "AT%KEYGEN=2,8").answer.result.is_ok());
    // Deletes and reads still work.
    assert_eq!(run(&mut m, "AT%CMNG=3,1,0").text, "OK\r\n");
    assert!(run(&mut m, "AT%CMNG=1").answer.result.is_ok());
    assert!(m.faults().storage_full());
    m.faults().set_storage_full(false);
    assert_eq!(run(&mut m, "AT%CMNG=0,1,1,\"b\"").text, "OK\r\n");
}

#[test]
fn reboot_fault_answers_then_asks_for_a_reboot() {
    let mut m = modem();
    run(&mut m, "AT+CMEE=1");
    run(&mut m, "AT+CFUN=1");
    m.faults()
        .add(FaultRule::new("%CMNG", FaultAction::Reboot).params("1*"));
    let reply = run(&mut m, "AT%CMNG=1");
    assert!(reply.reboot);
    assert_eq!(reply.text, "OK\r\n");
    m.reboot().unwrap();
    assert!(!m.cmee());
    assert_eq!(m.cfun(), 0);
    assert!(!run(&mut m, "AT+CFUN?").reboot);
}

#[test]
fn several_rules_combine_and_first_answer_wins() {
    let mut m = modem();
    run(&mut m, "AT+CMEE=1");
    m.faults().add(FaultRule::new(
        "AT",
        FaultAction::Delay(Duration::from_millis(5)),
    ));
    m.faults().add(FaultRule::new("AT", FaultAction::Cme(3)));
    m.faults().add(FaultRule::new("AT", FaultAction::Error));
    m.faults()
        .add(FaultRule::new("AT", FaultAction::Reboot).after(1));
    let first = run(&mut m, "AT");
    assert_eq!(first.text, "+CME ERROR: 3\r\n");
    assert_eq!(first.delay, Duration::from_millis(5));
    assert!(!first.reboot);
    assert!(run(&mut m, "AT").reboot);
    m.faults().clear();
    assert_eq!(
        run(&mut m, "AT"),
        Reply {
            answer: provlab_proto::at::Answer::ok(),
            text: "OK\r\n".into(),
            delay: Duration::ZERO,
            reboot: false,
        }
    );
}

#[test]
fn faults_are_deterministic() {
    let transcript = || {
        let mut m = modem();
        m.faults()
            .add(FaultRule::new("%KEYGEN", FaultAction::Cme(523)).nth(2));
        m.faults().add(
            FaultRule::new("%CMNG", FaultAction::Error)
                .after(1)
                .times(2),
        );
        let lines = [
            "AT+CMEE=1",
            "AT%KEYGEN=1,2",
            "AT%KEYGEN=1,2",
            "AT%KEYGEN=1,2",
            "AT%CMNG=1",
            "AT%CMNG=1",
            "AT%CMNG=1",
            "AT%CMNG=1",
        ];
        lines
            .iter()
            .map(|l| run(&mut m, l).text)
            .collect::<Vec<_>>()
    };
    let a = transcript();
    assert_eq!(a, transcript());
    assert_eq!(a[2], "+CME ERROR: 523\r\n");
    assert!(a[4].ends_with("OK\r\n"));
    assert_eq!(a[5], "ERROR\r\n");
    assert_eq!(a[6], "ERROR\r\n");
    assert!(a[7].ends_with("OK\r\n"));
}
